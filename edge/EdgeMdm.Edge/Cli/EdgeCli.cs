using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Text;
using EdgeMdm.Edge.Fleet;
using EdgeMdm.Edge.Hosting;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Seed;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Threading;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cli;

/// <summary>
/// <c>edgemdm-edge</c>: <c>serve</c> (the default) and the operator commands. Operator commands open the
/// data directory themselves, so they work while <c>serve</c> runs on it (SQLite WAL, one writer at a time).
/// Errors: one line on stderr and exit 1 (refused) or 2 (bad usage).
/// </summary>
public static class EdgeCli
{
    private const string Name = "edgemdm-edge";

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")))
            args = ["serve", .. args];

        var root = BuildCommands();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"{Name}: {parsed.Errors[0].Message} (see '{Name} --help')");
            return 2;
        }

        try
        {
            // Our own handler below turns refusals into one line; System.CommandLine's would print a stack trace.
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException exception)
        {
            await Console.Error.WriteLineAsync($"{Name}: {exception.Message}");
            return exception.ExitCode;
        }
    }

    private static RootCommand BuildCommands()
    {
        var root = new RootCommand("EdgeMdm site appliance: serves devices on the site network, uplink or not.");
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(Token());
        root.Subcommands.Add(Devices());
        root.Subcommands.Add(Commands());
        root.Subcommands.Add(Drift());
        root.Subcommands.Add(Sync());
        root.Subcommands.Add(Users());
        root.Subcommands.Add(Cache());
        root.Subcommands.Add(RolloutsCommand());
        root.Subcommands.Add(MqttCli.Clients(DataDir, Json, OpenStore, Operator));
        root.Subcommands.Add(MqttCli.Status(DataDir, Json, OpenStore));
        return root;
    }

    private static Option<string> DataDir() => new("--data-dir")
    {
        Description = "data directory of the appliance (default: $EDGEMDM_Edge__DataDir or ./data)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGEMDM_Edge__DataDir") ?? "./data",
    };

    private static Option<bool> Json() => new("--json") { Description = "print JSON for scripts instead of a table" };

    private static Command Serve()
    {
        var serve = new Command("serve", "run the appliance (the default command)")
        {
            DataDir(),
            new Option<string>("--seed") { Description = "YAML file with site, blueprints and enrollment tokens, applied at start" },
            new Option<string>("--urls") { Description = "where to listen, e.g. http://0.0.0.0:8080 (default http://localhost:5000)" },
            new Option<int>("--checkin-interval") { Description = "seconds between device check-ins (default 60)" },
            new Option<string>("--mqtt-listen") { Description = "embed an MQTT broker for device wakes on these IP:port, e.g. 127.0.0.1:1883 (default: none)" },
            new Option<string>("--mqtt-external") { Description = "publish device wakes to this external broker (host:port) instead (README: MQTT)" },
        };
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction(async (result, cancellationToken) =>
        {
            // The host reads its own switches (--urls and any ASP.NET setting) from the raw arguments.
            var hostArgs = result.Tokens.Select(t => t.Value).SkipWhile(t => string.Equals(t, "serve", StringComparison.Ordinal)).ToArray();
            // Before the host starts a thread: they all inherit the short slice, but for the few that move bytes.
            ThreadScheduling.RespondQuickly();
            try
            {
                await using var app = EdgeHost.Build(hostArgs);
                await app.RunAsync(cancellationToken);
                return 0;
            }
            catch (OptionsValidationException exception)
            {
                throw new CliException("invalid settings: " + string.Join("; ", exception.Failures), 2);
            }
            catch (SeedFileException exception)
            {
                throw new CliException(exception.Message);
            }
            catch (IOException exception)
            {
                // Typically the port is taken or the data directory is not writable.
                throw new CliException("cannot start: " + exception.Message);
            }
        });
        return serve;
    }

    private static Command Token()
    {
        var group = new Option<string>("--group") { Description = "device group the token enrolls into", Required = true };
        var uses = new Option<int>("--uses") { Description = "how many enrollments the token allows", DefaultValueFactory = _ => 1 };
        var expires = new Option<string>("--expires") { Description = "lifetime, e.g. 8h, 30m, 14d", DefaultValueFactory = _ => "8h" };
        var dataDir = DataDir();
        var json = Json();
        var create = new Command("create", "create an enrollment token and print it (alone on stdout)") { group, uses, expires, dataDir, json };
        create.SetAction(async result =>
        {
            var lifetime = ParseDuration(result.GetValue(expires)!, "--expires");
            var count = result.GetValue(uses);
            if (count < 1)
                throw new CliException("--uses must be at least 1", 2);
            var groupName = result.GetValue(group)!;
            await using var store = OpenStore(result.GetValue(dataDir)!);
            if (!store.HasBlueprint(groupName))
            {
                var known = store.Groups.Count == 0 ? "none yet (start serve with --seed)" : string.Join(", ", store.Groups);
                throw new CliException($"group '{groupName}' has no blueprint at this site; groups: {known}");
            }

            var now = DateTimeOffset.UtcNow;
            var token = await store.CreateTokenAsync(groupName, count, now + lifetime, Operator, now);
            Console.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(token, EdgeJson.Default.IssuedToken) : token.Token);
            return 0;
        });

        var listDataDir = DataDir();
        var listJson = Json();
        var list = new Command("list", "list enrollment tokens (never their clear values)") { listDataDir, listJson };
        list.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(listDataDir)!);
            var tokens = store.ListTokens();
            return Print(result, listJson, tokens.ToList(), EdgeJson.Default.ListTokenSummary, () =>
            {
                Table.Write(
                    ["TOKEN", "GROUP", "USED", "EXPIRES"],
                    tokens.Select(t => new[] { t.Prefix + "…", t.Group, $"{t.UsesCount}/{t.UsesAllowed}", Time(t.ExpiresAt) }));
            });
        });
        return new Command("token", "enrollment tokens") { create, list };
    }

    private static Command Devices()
    {
        var dataDir = DataDir();
        var json = Json();
        var list = new Command("list", "devices enrolled at this site") { dataDir, json };
        list.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(dataDir)!);
            var devices = store.ListDevices();
            return Print(result, json, devices.ToList(), EdgeJson.Default.ListDeviceSummary, () =>
            {
                Table.Write(
                    ["DEVICE", "SERIAL", "MODEL", "GROUP", "STATE", "COMPLIANT", "BATTERY", "OS", "LAST CHECK-IN"],
                    devices.Select(d => new[]
                    {
                        d.DeviceId, d.Serial, $"{d.Manufacturer} {d.Model}", d.Group, d.State.ToString(),
                        d.Compliant ? "yes" : $"no ({d.Findings})",
                        d.BatteryLevel is { } level ? level.ToString(CultureInfo.InvariantCulture) + " %" : "-",
                        d.OsVersion ?? "-", d.LastCheckinAt is { } at ? Time(at) : "never",
                    }));
                Console.WriteLine($"{devices.Count} devices, {devices.Count(d => d.Compliant)} compliant");
            });
        });

        var show = ShowDevice();

        var target = new Argument<DeviceState>("state") { Description = "Active, Quarantined, InRepair, Staging or Retired" };
        var setDevice = new Argument<string>("device") { Description = "device id or serial" };
        var reason = new Option<string>("--reason") { Description = "why (kept in the device's history)", Required = true };
        var setDataDir = DataDir();
        var setState = new Command("set-state", "move a device through its lifecycle") { setDevice, target, reason, setDataDir };
        setState.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(setDataDir)!);
            var outcome = await store.TransitionAsync(result.GetValue(setDevice)!, result.GetValue(target), Operator, result.GetValue(reason)!, DateTimeOffset.UtcNow);
            var transition = Require(outcome);
            Console.WriteLine($"{transition.From} → {transition.To}");
            return 0;
        });
        return new Command("devices", "the site's devices") { list, show, setState };
    }

    private static Command ShowDevice()
    {
        var device = new Argument<string>("device") { Description = "device id or serial" };
        var showDataDir = DataDir();
        var showJson = Json();
        var show = new Command("show", "one device: status, findings and lifecycle history") { device, showDataDir, showJson };
        show.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(showDataDir)!);
            var id = result.GetValue(device)!;
            var detail = store.Device(id) ?? throw new CliException($"no device {id} at this site");
            return Print(result, showJson, detail, EdgeJson.Default.DeviceDetail, () =>
            {
                var d = detail.Device;
                Console.WriteLine($"{d.DeviceId}  serial {d.Serial}  {d.Manufacturer} {d.Model}  group {d.Group}  {d.State}  enrolled {detail.Enrollments}×");
                Console.WriteLine(d.Compliant ? "compliant" : $"not compliant ({d.Findings} findings)");
                foreach (var f in detail.CurrentFindings)
                    Console.WriteLine($"  {f.Severity,-8} {f.Item}: expected {f.Expected}, found {f.Actual}");
                Console.WriteLine("history:");
                foreach (var t in detail.History)
                    Console.WriteLine($"  {Time(t.At)}  {t.From?.ToString() ?? "-"} → {t.To}  by {t.Actor}: {t.Reason}");
            });
        });
        return show;
    }

    private static Command Commands()
    {
        var device = new Option<string>("--device") { Description = "device id or serial" };
        var group = new Option<string>("--group") { Description = "every device of this group instead of one (prints one command id per device)" };
        var type = new Argument<string>("type") { Description = "lock, ring, reboot, refresh-status, clear-app-data…" };
        var parameters = new Option<string[]>("--param") { Description = "a command parameter, key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var expires = new Option<string>("--expires") { Description = "do not deliver after this long, e.g. 2h" };
        var dataDir = DataDir();
        var json = Json();
        var send = new Command("send", "queue a command for a device (or a group); prints its id") { device, group, type, parameters, expires, dataDir, json };
        send.SetAction(async result =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(parameters) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                    throw new CliException($"--param '{pair}' must be key=value", 2);
                values[pair[..equals]] = pair[(equals + 1)..];
            }

            var now = DateTimeOffset.UtcNow;
            DateTimeOffset? expiresAt = result.GetValue(expires) is { } text ? now + ParseDuration(text, "--expires") : null;
            var (deviceId, groupName) = (result.GetValue(device), result.GetValue(group));
            if ((deviceId is null) == (groupName is null))
                throw new CliException("give either --device or --group", 2);
            await using var store = OpenStore(result.GetValue(dataDir)!);
            var commands = groupName is null
                ? [Require(await store.QueueCommandAsync(deviceId!, result.GetValue(type)!, values, expiresAt, Operator, now))]
                : await store.QueueGroupCommandAsync(groupName, result.GetValue(type)!, values, expiresAt, Operator, now);
            if (commands.Count == 0)
                throw new CliException($"group '{groupName}' has no device that takes commands");
            Console.WriteLine(result.GetValue(json)
                ? JsonSerializer.Serialize(commands.ToList(), EdgeJson.Default.ListCommandSummary)
                : string.Join('\n', commands.Select(c => c.CommandId)));
            return 0;
        });

        var listDevice = new Option<string>("--device") { Description = "only this device (id or serial)" };
        var listDataDir = DataDir();
        var listJson = Json();
        var list = new Command("list", "commands and their status") { listDevice, listDataDir, listJson };
        list.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(listDataDir)!);
            var commands = store.ListCommands(result.GetValue(listDevice));
            return Print(result, listJson, commands.ToList(), EdgeJson.Default.ListCommandSummary, () =>
            {
                Table.Write(
                    ["COMMAND", "DEVICE", "TYPE", "STATUS", "CREATED", "RESULT"],
                    commands.Select(c => new[] { c.CommandId, c.DeviceId, c.Type, c.Status, Time(c.CreatedAt), c.ResultMessage ?? "" }));
            });
        });
        return new Command("commands", "commands to devices") { send, list };
    }

    private static Command Drift()
    {
        var dataDir = DataDir();
        var json = Json();
        var drift = new Command("drift", "what the floor really runs: app versions and non-compliant devices") { dataDir, json };
        drift.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(dataDir)!);
            var summary = store.Drift();
            return Print(result, json, summary, EdgeJson.Default.DriftSummary, () =>
            {
                Console.WriteLine($"{summary.Compliant} of {summary.Devices} devices compliant");
                Console.WriteLine();
                Table.Write(
                    ["APP", "VERSION", "DEVICES", "REQUIRED"],
                    summary.AppVersions.Select(v => new[]
                    {
                        v.PackageName, $"{v.VersionName} ({v.VersionCode})", v.Devices.ToString(CultureInfo.InvariantCulture), v.Required ? "yes" : "",
                    }));
                if (summary.NonCompliant.Count > 0)
                {
                    Console.WriteLine();
                    Table.Write(
                        ["DEVICE", "SERIAL", "GROUP", "STATE", "FINDINGS"],
                        summary.NonCompliant.Select(d => new[]
                        {
                            d.DeviceId, d.Serial, d.Group, d.State.ToString(),
                            string.Join("; ", d.Findings.Select(f => $"{f.Item}: {f.Actual} (want {f.Expected})")),
                        }));
                }
            });
        });
        return drift;
    }

    private static Command Sync()
    {
        var dataDir = DataDir();
        var json = Json();
        var status = new Command("status", "the uplink to the cloud hub: state, last sync, outbox depth and lag") { dataDir, json };
        status.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(dataDir)!);
            var outbox = store.State();
            var uplink = store.Uplink();
            var lag = outbox.OldestPendingAt is { } oldest ? Math.Max(0, (DateTimeOffset.UtcNow - oldest).TotalSeconds) : 0;
            var report = new SyncStatus(uplink.State ?? "NotConfigured", uplink.LastContactAt, outbox.Depth, Math.Round(lag, 1), outbox.AckedThrough, store.FeedPosition);
            return Print(result, json, report, EdgeJson.Default.SyncStatus, () =>
            {
                Console.WriteLine($"uplink       {report.Uplink}");
                Console.WriteLine($"last sync    {(report.LastSyncAt is { } at ? Time(at) : "never")}");
                Console.WriteLine($"outbox       {report.OutboxDepth} changes waiting, lag {report.LagSeconds:0.#} s");
                Console.WriteLine($"acked        through {report.AckedThrough}");
                Console.WriteLine($"feed         at {report.FeedPosition}");
            });
        });
        return new Command("sync", "sync with the cloud hub") { status };
    }

    private static Command Users()
    {
        var dataDir = DataDir();
        var json = Json();
        var list = new Command("list", "who may sign in to this appliance, as the cloud hub last sent them (never their passwords)") { dataDir, json };
        list.SetAction(async result =>
        {
            await using var store = OpenStore(result.GetValue(dataDir)!);
            var users = store.ListSiteUsers();
            return Print(result, json, users.ToList(), EdgeJson.Default.ListSiteUser, () =>
            {
                Table.Write(["USER", "ROLE", "UPDATED"], users.Select(u => new[] { u.UserName, u.Role, Time(u.UpdatedAt) }));
            });
        });
        return new Command("users", "site users (supervisors, operators); managed at the cloud hub with 'edgemdm site-users'") { list };
    }

    private static Command Cache()
    {
        var dataDir = DataDir();
        var json = Json();
        var status = new Command("status", "the package cache: bytes held against the quota, hits, misses, fetches still pending") { dataDir, json };
        status.SetAction(async result =>
        {
            var directory = Path.GetFullPath(result.GetValue(dataDir)!);
            await using var store = OpenStore(directory);
            var report = BlobCache.Describe(store, BlobCache.DirectoryIn(directory));
            return Print(result, json, report, EdgeJson.Default.CacheStatus, () =>
            {
                var quota = report.QuotaBytes > 0 ? $" of {Bytes(report.QuotaBytes)}" : "";
                Console.WriteLine($"held         {Bytes(report.Bytes)}{quota} in {report.Blobs} blobs{(report.OverQuota ? " (OVER QUOTA: blueprints name more than it allows)" : "")}");
                Console.WriteLine($"downloads    {report.Hits} hits, {report.Misses} misses");
                Console.WriteLine($"failures     {report.FetchFailures} blobs that did not verify");
                Console.WriteLine($"pending      {report.Pending.Count} fetches");
                if (report.Pending.Count > 0)
                {
                    Table.Write(
                        ["PACKAGE", "VERSION", "HELD", "SIZE", "SHA256"],
                        report.Pending.Select(p => new[] { p.PackageName, p.VersionCode.ToString(CultureInfo.InvariantCulture), Bytes(p.BytesHeld), Bytes(p.SizeBytes), p.Sha256 }));
                }
            });
        });
        return new Command("cache", "the site's package cache (blobs fetched from the hub for devices)") { status };
    }

    private static Command RolloutsCommand()
    {
        var dataDir = DataDir();
        var json = Json();
        var interval = new Option<int>("--checkin-interval")
        {
            Description = "the check-in interval serve runs with, in seconds: a device silent for 3 of them is offline (default: $EDGEMDM_Edge__CheckinIntervalSeconds or 60)",
            DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("EDGEMDM_Edge__CheckinIntervalSeconds"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : 60,
        };
        var rollouts = new Command("rollouts", "app rollouts at this site: from and to version, waves open, halt and why, devices by state") { dataDir, json, interval };
        rollouts.SetAction(async result =>
        {
            var seconds = result.GetValue(interval);
            if (seconds is < 1 or > 86_400)
                throw new CliException($"--checkin-interval {seconds.ToString(CultureInfo.InvariantCulture)} must be between 1 and 86400", 2);
            await using var store = OpenStore(result.GetValue(dataDir)!, seconds);
            // Judged now from what devices last reported, exactly as the running appliance judges them.
            var views = store.Rollouts.States.Select(RolloutView.Of).ToList();
            return Print(result, json, views, EdgeJson.Default.ListRolloutView, () =>
            {
                if (views.Count == 0)
                {
                    Console.WriteLine("no rollout at this site");
                    return;
                }

                Table.Write(
                    ["PACKAGE", "FROM", "TO", "WAVES OPEN", "DEVICES", "INSTALLED", "PENDING", "FAILED", "INCOMPATIBLE", "OFFLINE", "HALTED"],
                    views.Select(v => new[]
                    {
                        v.PackageName, $"{v.FromVersionName} ({Number(v.FromVersionCode)})", $"{v.ToVersionName} ({Number(v.ToVersionCode)})",
                        $"{Number(v.OpenWaves)}/{Number(v.Waves.Count)}", Number(v.Counts.Devices), Number(v.Counts.Installed), Number(v.Counts.Pending),
                        Number(v.Counts.Failed) + FailureReasons(v.Counts.FailedByReason), Number(v.Counts.Incompatible), Number(v.Counts.Offline),
                        v.HaltReason ?? "no",
                    }));
            });
        });
        return rollouts;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string FailureReasons(IReadOnlyDictionary<string, int> byReason)
    {
        var named = byReason.Where(r => r.Value > 0).Select(r => $"{r.Key}:{Number(r.Value)}").ToList();
        return named.Count == 0 ? "" : " (" + string.Join(", ", named) + ")";
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    private static string Operator => "operator:" + Environment.UserName;

    /// <summary>JSON for scripts when --json is given, otherwise the human form.</summary>
    private static int Print<T>(ParseResult result, Option<bool> json, T value, JsonTypeInfo<T> typeInfo, Action human)
    {
        if (result.GetValue(json))
            Console.WriteLine(JsonSerializer.Serialize(value, typeInfo));
        else
            human();
        return 0;
    }

    private static SqliteEdgeStore OpenStore(string dataDir, int checkinIntervalSeconds = 60)
    {
        var fullPath = Path.GetFullPath(dataDir);
        if (!File.Exists(EdgeDatabase.PathIn(fullPath)))
            throw new CliException($"no appliance database in {fullPath} (run '{Name} serve --data-dir {dataDir}' first, or pass --data-dir)");
        return SqliteEdgeStore.Open(fullPath, checkinIntervalSeconds);
    }

    private static T Require<T>(Outcome<T> outcome)
        where T : class =>
        outcome.Value ?? throw new CliException(outcome.Refusal!.Detail);

    private static TimeSpan ParseDuration(string text, string option) =>
        DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new CliException($"{option} '{text}' is not a duration; use forms like 90s, 30m, 8h or 14d", 2);

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}

/// <summary>A refusal the CLI reports as one line and an exit code.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
