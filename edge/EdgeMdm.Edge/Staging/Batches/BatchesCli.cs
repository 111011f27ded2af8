using System.CommandLine;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary><c>edgemdm-edge staging batch create|list|show</c>.</summary>
public static class BatchesCli
{
    public static Command Batch(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return new Command("batch", "staging batches: one enrollment token for N devices and a printable sheet of QR codes")
        {
            Create(commands), List(commands), Show(commands),
        };
    }

    private static Command Create(OperatorCommands commands)
    {
        var group = new Option<string>("--group") { Description = "device group the batch enrolls into", Required = true };
        var count = new Option<int>("--count") { Description = "how many devices (codes on the sheet, uses of the token)", Required = true };
        var plan = new Option<string?>("--plan") { Description = "staging plan (default: the group's)" };
        var expires = new Option<string>("--expires") { Description = "lifetime of the batch and its token, e.g. 8h, 30m, 14d", DefaultValueFactory = _ => "8h" };
        var url = new Option<string[]>("--url")
        {
            Description = "https URL devices reach the appliance by (repeatable; default: the serving appliance's https listeners)",
            AllowMultipleArgumentsPerToken = false,
        };
        return commands.Create("create", "make a batch and its sheet; prints the sheet's path", [group, count, plan, expires, url], async cli =>
        {
            var lifetime = CliText.Duration(cli.Result.GetValue(expires)!, "--expires");
            var devices = cli.Result.GetValue(count);
            if (devices is < 1 or > 1000)
                throw new CliException("--count must be between 1 and 1000", 2);
            var groupName = cli.Result.GetValue(group)!;
            var groups = cli.Get<IBlueprints>().LoadAll().Select(b => b.Group).Order(StringComparer.Ordinal).ToList();
            if (!groups.Contains(groupName, StringComparer.Ordinal))
            {
                var known = groups.Count == 0 ? "none yet (start serve with --seed)" : string.Join(", ", groups);
                throw new CliException($"group '{groupName}' has no blueprint at this site; groups: {known}");
            }

            var urls = Urls(cli.Result.GetValue(url) ?? [], cli.DataDirectory);
            var now = DateTimeOffset.UtcNow;
            var made = await cli.Get<BatchMaker>().MakeAsync(
                cli.DataDirectory, groupName, cli.Result.GetValue(plan) is { Length: > 0 } p ? p : null, devices, now + lifetime, urls, OperatorCommands.Actor, now);
            if (made.Warning is { } warning)
                Console.Error.WriteLine(OperatorCommands.Program + ": " + warning);
            return cli.Print(new CreatedBatchView(made.Batch, made.SheetPath, urls.Select(u => u.ToString()).ToList()), () => Console.WriteLine(made.SheetPath));
        });
    }

    private static Command List(OperatorCommands commands) =>
        commands.Create("list", "staging batches, oldest first", [], cli =>
        {
            var batches = cli.Get<IStagingBatches>().List();
            var now = DateTimeOffset.UtcNow;
            return cli.Print(batches, () => Table.Write(
                ["BATCH", "GROUP", "PLAN", "ENROLLED", "EXPIRES", "STATE"],
                batches.Select(b => new[] { b.Id, b.Group, b.Plan ?? "(group's)", $"{b.Enrolled}/{b.Count}", CliText.Time(b.ExpiresAt), State(b, now) })));
        });

    private static Command Show(OperatorCommands commands)
    {
        var id = new Argument<string>("batch") { Description = "batch id (b-…)" };
        return commands.Create("show", "one batch: enrolled k of N, expiry, its devices and sheet", [id], cli =>
        {
            var batches = cli.Get<IStagingBatches>();
            var batchId = cli.Result.GetValue(id)!;
            var batch = batches.Find(batchId) ?? throw new CliException($"no staging batch '{batchId}' at this site (see 'staging batch list')");
            var members = batches.MembersOf(batchId);
            var sheet = Path.Combine(BatchSheet.DirectoryOf(cli.DataDirectory, batchId), BatchSheet.SheetFile);
            return cli.Print(new BatchView(batch, members, File.Exists(sheet) ? sheet : null), () =>
            {
                Console.WriteLine($"batch {batch.Id}: group {batch.Group}, plan {batch.Plan ?? "(the group's)"}");
                Console.WriteLine($"enrolled {batch.Enrolled} of {batch.Count}; {State(batch, DateTimeOffset.UtcNow)}; expires {CliText.Time(batch.ExpiresAt)}");
                Console.WriteLine($"made {CliText.Time(batch.CreatedAt)} by {batch.CreatedBy}" + (File.Exists(sheet) ? "; sheet " + sheet : ""));
                if (members.Count > 0)
                    Table.Write(["DEVICE", "SLOT", "ENROLLED"], members.Select(m => new[] { m.DeviceId, m.Slot?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", CliText.Time(m.EnrolledAt) }));
            });
        });
    }

    private static string State(StagingBatch batch, DateTimeOffset now) =>
        batch.IsFinished ? "finished" : batch.IsExpiredAt(now) ? "expired" : "open";

    /// <summary>
    /// The URLs a code names: the operator's, else each https listener of the appliance serving this data directory, a
    /// wildcard listener stood for by the machine's host name and its addresses (all in the site certificate).
    /// </summary>
    internal static IReadOnlyList<Uri> Urls(IReadOnlyList<string> given, string dataDirectory)
    {
        if (given.Count > 0)
        {
            return given.Select(text => Uri.TryCreate(text, UriKind.Absolute, out var uri) && string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)
                ? uri
                : throw new CliException($"--url must be an https URL (devices pin the appliance's certificate), not '{text}'", 2)).ToList();
        }

        var listeners = RunningAppliance.ListenUrls(dataDirectory).Where(u => string.Equals(u.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)).ToList();
        if (listeners.Count == 0)
            throw new CliException($"no appliance serves {dataDirectory} over https; pass --url https://HOST:PORT (the address devices reach it by)", 2);
        return listeners.SelectMany(listener => listener.Host is "0.0.0.0" or "[::]" or "::"
                ? MachineHosts().Select(host => new UriBuilder(listener) { Host = host }.Uri)
                : [listener])
            .Distinct()
            .ToList();
    }

    private static IEnumerable<string> MachineHosts() =>
        new[] { Dns.GetHostName() }.Concat(NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            .Select(a => a.Address.ToString()));
}

public sealed record CreatedBatchView(StagingBatch Batch, string Sheet, IReadOnlyList<string> Urls);

public sealed record BatchView(StagingBatch Batch, IReadOnlyList<BatchMember> Members, string? Sheet);
