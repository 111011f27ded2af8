using EdgeMdm.Domain.Text;
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Agent.Cli;

/// <summary>
/// <c>run [--state FILE] [--server URL] [--pin HEX]</c>: the enrolled device checks in until Ctrl-C. The appliance's
/// certificate is checked against <c>--pin</c>, else the pin saved at enrollment; a pin given here is saved after the
/// first check-in it allowed. Being offline is a
/// normal state for a device: a failed check-in is logged and retried. Only a refusal of the device itself
/// (401 unknown secret, 403 retired) ends the run, with exit code 1.
/// </summary>
internal static class RunCommand
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstInterval = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    public static Command Create(TextWriter stderr)
    {
        var state = CliOptions.State();
        var server = CliOptions.Server(required: false);
        server.Description = "Talk to this appliance instead of the one saved at enrollment";
        var pin = CliOptions.Pin();
        var mqtt = CliOptions.Mqtt();
        var command = new Command("run", "Run the enrolled device: check in, apply declarations, carry out commands (Ctrl-C stops)") { state, server, pin, mqtt };
        command.SetAction((parse, cancellationToken) => AgentCli.GuardAsync(
            "run",
            parse.GetValue(server),
            stderr,
            () => RunAsync(parse.GetRequiredValue(state), parse.GetValue(server), parse.GetValue(pin), parse.GetValue(mqtt), stderr, cancellationToken),
            cancellationToken));
        return command;
    }

    private static SigningKeyPin SigningKeyPinOf(DeviceCredentials credentials, string statePath)
    {
        try
        {
            return new SigningKeyPin(credentials.PackageSigningKey);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{statePath} holds a package signing key that is not usable: {e.Message}", e);
        }
    }

    private static async Task<int> RunAsync(string statePath, Uri? serverOverride, string? pinOverride, string? mqttOverride, TextWriter stderr, CancellationToken cancellationToken)
    {
        // The wake listener logs from its own thread.
        var log = TextWriter.Synchronized(stderr);
        if (!File.Exists(statePath))
        {
            await log.WriteLineAsync(AgentCli.Line($"no device state at {statePath}; enroll first: {AgentCli.Name} enroll --server URL --token TOKEN"));
            return AgentCli.Failure;
        }

        var credentials = await DeviceCredentialsFile.LoadAsync(statePath, cancellationToken);
        var server = serverOverride;
        if (server is null && !AgentHttp.TryParseServer(credentials.Server, out server))
            throw new InvalidDataException($"{statePath} has an invalid server URL '{credentials.Server}'");

        // The certificate pinned at enrollment holds for the appliance it was learned from, not for an override; a pin given
        // now is kept for later runs only when it is for that appliance.
        var pinned = pinOverride ?? (serverOverride is null ? credentials.TlsSpkiSha256 : null);
        var savedPin = credentials.TlsSpkiSha256;
        if (pinOverride is not null && serverOverride is null)
            credentials = credentials with { TlsSpkiSha256 = pinOverride };
        using var handler = AgentHttp.CreateHandler(maxConnectionsPerServer: 2, pinned);
        using var http = AgentHttp.CreateClient(handler, server, RequestTimeout);
        var device = new VirtualDevice(credentials.Serial, Seeds.Of(credentials.Serial), TimeProvider.System) { SimulateOutages = false };
        device.RestoreApps(credentials.InstalledPackages ?? []);
        var pin = SigningKeyPinOf(credentials, statePath);
        // Packages live beside the state file: the state directory is the device's own.
        var packagesDirectory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(statePath))!, "packages");
        var api = new DeviceApiClient(http);
        var installer = new PackageInstaller(api, credentials.DeviceSecret, PackageFiles.ForDevice(packagesDirectory), pin, TimeProvider.System);
        var broker = WakeListener.BrokerFrom(mqttOverride, credentials.MqttUrl);
        // Like the device API's: the pin holds for the broker the appliance named at enrollment, not for an override.
        var brokerPin = mqttOverride is null ? pinned : null;
        using var wakes = broker is null ? null : new WakeListener(broker, credentials.DeviceId, credentials.DeviceSecret, TimeProvider.System, message => log.WriteLine(Stamp(message)), pin: brokerPin);
        // Signatures are checked against the key the connection is pinned to; without a pin, against the key first seen.
        var trust = new SiteTrust(
            credentials.DeviceId,
            pinned ?? credentials.SiteKeySha256,
            credentials is { DeclarationsVersion: { } version, DeclarationsDigest: { } digest } ? new HeldDeclarations(version, digest) : null);
        var agent = new DeviceAgent(api, device, credentials.DeviceSecret, trust, installer) { CompletedStagingPlanHash = credentials.StagingCompletedPlanHash };
        var loop = new Loop(agent, credentials, savedPin, statePath, log, wakes?.Signal);
        await loop.LogAsync($"running {credentials.Serial} ({device.Manufacturer} {device.Model}) as {credentials.DeviceId} against {server}"
            + (broker is null ? " (no wake broker: checking in on the interval)" : $", woken through {broker}"));
        using var stopListening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listening = wakes?.RunAsync(stopListening.Token) ?? Task.CompletedTask;
        try
        {
            return await loop.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await loop.LogAsync("stopped");
            return AgentCli.Success;
        }
        finally
        {
            await stopListening.CancelAsync();
            await listening;
        }
    }

    private static string Stamp(string message) =>
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + " " + message;

    /// <param name="savedPin">The pin the state file holds now; <paramref name="credentials"/> may carry a newer one to save.</param>
    private sealed class Loop(DeviceAgent agent, DeviceCredentials credentials, string? savedPin, string statePath, TextWriter log, WakeSignal? wakes)
    {
        private readonly HashSet<string> _installedNames = new(StringComparer.Ordinal);
        private DeviceCredentials _saved = credentials;
        private string? _savedPin = savedPin;

        public async Task<int> RunAsync(CancellationToken cancellationToken)
        {
            if (!await RestoreAsync(cancellationToken))
                return AgentCli.Failure;
            var interval = FirstInterval;
            while (true)
            {
                var wait = interval;
                try
                {
                    var outcome = await agent.CheckinAsync(cancellationToken);
                    await LogAsync(Describe(outcome));
                    foreach (var failure in outcome.Failures)
                        await LogAsync($"{failure.Operation} failed: {AgentFailures.Describe(failure.Exception)}");
                    if (outcome.SigningKeyRefused is { } refusal)
                        await LogAsync(refusal);
                    foreach (var package in outcome.Packages)
                    {
                        if (package.Result == PackageStepResult.Installed)
                            _installedNames.Add(package.PackageName);
                        await LogAsync(Describe(package));
                    }

                    await SaveStateAsync(cancellationToken);
                    interval = wait = outcome.NextInterval;
                }
                catch (DeviceApiException e) when (IsDeviceRefused(e))
                {
                    await log.WriteLineAsync(AgentCli.Line($"the appliance refused this device: {e.Message}"));
                    return AgentCli.Failure;
                }
                catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
                {
                    wait = interval < MaxRetryDelay ? interval : MaxRetryDelay;
                    await LogAsync($"checkin failed: {AgentFailures.Describe(e)}; retrying in {DurationText.Format(wait)}");
                }

                if (wakes is null)
                    await Task.Delay(wait, cancellationToken);
                else if (await wakes.WaitAsync(wait, TimeProvider.System, cancellationToken))
                    await LogAsync("woken: checking in now");
            }
        }

        public Task LogAsync(string message) => log.WriteLineAsync(Stamp(message));

        /// <summary>After a restart, the device still holds what it installed under the saved token.</summary>
        private async Task<bool> RestoreAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (await agent.RestoreAsync(_saved.DeclarationsToken, cancellationToken))
                    await LogAsync($"holding declarations {Short(agent.Device.DeclarationsToken)}");
                return true;
            }
            catch (DeviceApiException e) when (IsDeviceRefused(e))
            {
                await log.WriteLineAsync(AgentCli.Line($"the appliance refused this device: {e.Message}"));
                return false;
            }
            catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
            {
                await LogAsync($"could not fetch the declarations held before the restart: {AgentFailures.Describe(e)}");
                return true;
            }
        }

        /// <summary>
        /// Keeps the state file in step with the device: the declarations it holds, the signing key it pinned,
        /// the packages the agent installed (a restarted agent must not claim what it never installed).
        /// </summary>
        private async Task SaveStateAsync(CancellationToken cancellationToken)
        {
            var installedByAgent = InstalledByAgent();
            var state = _saved with
            {
                DeclarationsToken = agent.Device.DeclarationsToken,
                PackageSigningKey = agent.Packages?.Pin.PinnedPem ?? _saved.PackageSigningKey,
                InstalledPackages = installedByAgent.Count == 0 ? null : installedByAgent,
                StagingCompletedPlanHash = agent.Device.StagingRun.CompletedPlanHash ?? _saved.StagingCompletedPlanHash,
                SiteKeySha256 = _saved.TlsSpkiSha256 is null ? agent.Trust.KeySha256 : _saved.SiteKeySha256,
                DeclarationsVersion = agent.Trust.Held?.Version ?? _saved.DeclarationsVersion,
                DeclarationsDigest = agent.Trust.Held?.Digest ?? _saved.DeclarationsDigest,
            };
            if (string.Equals(state.DeclarationsToken, _saved.DeclarationsToken, StringComparison.Ordinal)
                && string.Equals(state.PackageSigningKey, _saved.PackageSigningKey, StringComparison.Ordinal)
                && (state.InstalledPackages ?? []).SequenceEqual(_saved.InstalledPackages ?? [])
                && string.Equals(state.TlsSpkiSha256, _savedPin, StringComparison.Ordinal)
                && string.Equals(state.StagingCompletedPlanHash, _saved.StagingCompletedPlanHash, StringComparison.Ordinal)
                && string.Equals(state.SiteKeySha256, _saved.SiteKeySha256, StringComparison.Ordinal)
                && state.DeclarationsVersion == _saved.DeclarationsVersion
                && string.Equals(state.DeclarationsDigest, _saved.DeclarationsDigest, StringComparison.Ordinal))
                return;
            try
            {
                await DeviceCredentialsFile.SaveAsync(statePath, state, cancellationToken);
                _saved = state;
                _savedPin = state.TlsSpkiSha256;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await LogAsync($"could not save {statePath}: {e.Message}");
            }
        }

        /// <summary>The packages the agent installed, in this run or an earlier one, at the version the device runs now.</summary>
        private List<InstalledApp> InstalledByAgent()
        {
            var names = new HashSet<string>(_installedNames, StringComparer.Ordinal);
            names.UnionWith((_saved.InstalledPackages ?? []).Select(a => a.PackageName ?? ""));
            return agent.Device.InstalledApps.Where(a => a.PackageName is not null && names.Contains(a.PackageName)).ToList();
        }

        private string Describe(PackageOutcome package)
        {
            var what = string.Create(CultureInfo.InvariantCulture, $"package {package.PackageName} ({package.VersionCode})");
            var downloaded = package.Downloaded > 0 ? string.Create(CultureInfo.InvariantCulture, $" after downloading {package.Downloaded} bytes") : "";
            return package.Result switch
            {
                PackageStepResult.Installed => $"{what} installed{downloaded}",
                PackageStepResult.NotYetAvailable => $"{what}: {package.Message}",
                _ => $"{what} failed ({package.Reason?.ToWire()}): {package.Message}{downloaded}"
                    + (agent.Packages?.NextAttemptAt(package.PackageName) is { } next && next != DateTimeOffset.MaxValue
                        ? "; next attempt at " + next.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture)
                        : "; not retried until the declarations change"),
            };
        }

        private string Describe(CheckinOutcome outcome)
        {
            var staging = agent.Device.Staging;
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"checkin ok {outcome.Latency.TotalMilliseconds:0.0}ms sent={Items(outcome.Sent)} token={Short(outcome.DeclarationsToken)}");
            if (outcome.DeclarationsFetched)
                text.Append(" (new declarations)");
            // The plan's name only: its steps carry secrets (a Wi-Fi key) that never reach a log.
            if (outcome.StagingPlanStarted is { } plan)
                text.Append(" (staging plan ").Append(plan).Append(')');
            if (staging is not null)
                text.Append(CultureInfo.InvariantCulture, $" staging={staging.CompletedSteps}/{staging.TotalSteps}");
            if (staging?.CurrentStep is { } step)
                text.Append(" [").Append(step).Append(']');
            text.Append(CultureInfo.InvariantCulture, $" results={outcome.ResultsReported} next={DurationText.Format(outcome.NextInterval)}");
            return text.ToString();
        }

        private static bool IsDeviceRefused(DeviceApiException e) =>
            e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

        private static string Short(string? token) => token is null ? "-" : token.Length > 8 ? token[..8] : token;

        private static string Items(DeviceStatus sent)
        {
            var items = new List<string>(8);
            if (sent.Apps is not null) items.Add("apps");
            if (sent.Os is not null) items.Add("os");
            if (sent.Battery is not null) items.Add("battery");
            if (sent.Storage is not null) items.Add("storage");
            if (sent.Wifi is not null) items.Add("wifi");
            if (sent.Configurations is not null) items.Add("configurations");
            if (sent.Certificates is not null) items.Add("certificates");
            if (sent.Staging is not null) items.Add("staging");
            if (sent.InstallFailures is not null) items.Add("installFailures");
            if (sent.DeclarationsVerification is not null) items.Add("declarationsVerification");
            return items.Count == 0 ? "nothing" : string.Join(',', items);
        }
    }
}
