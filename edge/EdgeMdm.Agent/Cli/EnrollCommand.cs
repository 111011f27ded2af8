using System.CommandLine;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent.Cli;

/// <summary>
/// <c>enroll [--server URL] [--pin HEX] --token T [--serial S] [--state FILE]</c> or <c>enroll --qr FILE|TEXT [--serial S]
/// [--state FILE]</c>: prints the device id. Without <c>--server</c> the appliance is found by mDNS, and the TLS
/// certificate it advertises is pinned for every later call; <c>--pin</c> names the pin instead (as the site's
/// <c>edgemdm-edge tls show</c> prints it). With <c>--qr</c> (a staging code's payload) the code gives the appliance's
/// URLs, the token and the pin, and nothing else is needed. The pin is saved with the credentials, and nothing is saved
/// when the appliance's certificate is refused.
/// </summary>
internal static class EnrollCommand
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DiscoveryTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var server = CliOptions.Server(required: false);
        server.Description += " (default: found on the local network by mDNS, _edgemdm._tcp.local)";
        var token = CliOptions.Token();
        token.Required = false;
        token.Description += " (required unless --qr)";
        var pin = CliOptions.Pin();
        var qr = new Option<string>("--qr")
        {
            Description = "A staging QR code's payload (the JSON a scanner reads from the sheet), or a file holding it: URL, token and TLS pin come from it",
            HelpName = "FILE|TEXT",
        };
        var serial = new Option<string>("--serial") { Description = "Device serial (default: this host's name)", HelpName = "SERIAL" };
        var state = CliOptions.State();
        var command = new Command("enroll", "Enroll one device with the appliance and save its credentials") { server, pin, token, qr, serial, state };
        command.Validators.Add(result =>
        {
            var fromCode = result.GetResult(qr) is not null;
            if (fromCode && (result.GetResult(token) is not null || result.GetResult(server) is not null || result.GetResult(pin) is not null))
                result.AddError("--qr gives the server, the token and the pin: pass none of --server, --token, --pin with it");
            else if (!fromCode && result.GetResult(token) is null)
                result.AddError("option '--token' is required");
        });
        command.SetAction((parse, cancellationToken) => parse.GetValue(qr) is { } code
            ? AgentCli.GuardAsync(
                "enroll",
                null,
                stderr,
                () => EnrollFromCodeAsync(
                    code,
                    parse.GetValue(serial) is { Length: > 0 } s ? s : Environment.MachineName,
                    parse.GetRequiredValue(state),
                    stdout,
                    stderr,
                    cancellationToken),
                cancellationToken)
            : AgentCli.GuardAsync(
            "enroll",
            parse.GetValue(server),
            stderr,
            () => EnrollAsync(
                parse.GetValue(server),
                parse.GetValue(pin),
                parse.GetRequiredValue(token),
                parse.GetValue(serial) is { Length: > 0 } s ? s : Environment.MachineName,
                parse.GetRequiredValue(state),
                stdout,
                stderr,
                cancellationToken),
            cancellationToken));
        return command;
    }

    private static async Task<int> EnrollFromCodeAsync(string codeText, string serial, string statePath, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var code = CodeEnrollment.Read(codeText);
        var device = VirtualDevice.ForSerial(serial, TimeProvider.System);
        var (server, enrolled) = await CodeEnrollment.EnrollAsync(code, device.CreateEnrollRequest(code.Token), RequestTimeout, cancellationToken);
        await stderr.WriteLineAsync(AgentCli.Line($"staging code: batch {code.BatchId} slot {code.Slot} of site {code.SiteId}, appliance {server}, certificate pinned"));
        return await SaveAsync(server, code.TlsPin, enrolled, device, serial, statePath, stdout, stderr, cancellationToken);
    }

    private static async Task<int> EnrollAsync(Uri? configured, string? givenPin, string token, string serial, string statePath, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var server = configured;
        var pinned = givenPin;
        if (server is null)
        {
            if (await ApplianceDiscovery.FindAsync(DiscoveryTimeout, cancellationToken) is not { } found)
            {
                await stderr.WriteLineAsync(AgentCli.Line(
                    $"enroll failed: no appliance answered for _edgemdm._tcp.local within {DiscoveryTimeout.TotalSeconds:0} s; pass --server URL"));
                return AgentCli.Failure;
            }

            await stderr.WriteLineAsync(AgentCli.Line(
                $"found {found.InstanceName} (site {found.SiteId}) at {found.BaseUrl}" + (found.TlsSpkiSha256 is null ? "" : ", certificate pinned")));
            server = found.BaseUrl;
            pinned ??= found.TlsSpkiSha256;
        }

        var device = VirtualDevice.ForSerial(serial, TimeProvider.System);
        using var handler = AgentHttp.CreateHandler(maxConnectionsPerServer: 2, pinned);
        using var http = AgentHttp.CreateClient(handler, server, RequestTimeout);
        var enrolled = await new DeviceApiClient(http).EnrollAsync(device.CreateEnrollRequest(token), cancellationToken);
        return await SaveAsync(server, pinned, enrolled, device, serial, statePath, stdout, stderr, cancellationToken);
    }

    private static async Task<int> SaveAsync(
        Uri server, string? pinned, EnrollResponse enrolled, VirtualDevice device, string serial, string statePath, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        // The key the appliance hands over at enrollment is pinned now: every package must verify against it.
        var signingKey = new SigningKeyPin();
        if (signingKey.Offer(enrolled.PackageSigningKey) == KeyOffer.Refused)
            await stderr.WriteLineAsync(AgentCli.Line(signingKey.LastRefusal ?? "the package signing key was refused"));
        var credentials = new DeviceCredentials(server.ToString(), enrolled.DeviceId, enrolled.DeviceSecret, serial, DeclarationsToken: null)
        {
            PackageSigningKey = signingKey.PinnedPem,
            TlsSpkiSha256 = pinned,
            MqttUrl = enrolled.MqttUrl,
        };
        await DeviceCredentialsFile.SaveAsync(statePath, credentials, cancellationToken);
        await stderr.WriteLineAsync(
            $"{AgentCli.Name}: {(enrolled.Reenrolled ? "re-enrolled" : "enrolled")} {serial} ({device.Manufacturer} {device.Model}, Android {device.OsVersion}) "
            + $"at site {enrolled.SiteId}, group {enrolled.Group}; credentials saved to {statePath}");
        await stdout.WriteLineAsync(enrolled.DeviceId);
        return AgentCli.Success;
    }
}
