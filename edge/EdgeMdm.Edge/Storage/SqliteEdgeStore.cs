using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Fleet;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Seed;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// The appliance's store on one SQLite file. Every write goes through the <see cref="GroupCommitWriter"/>
/// and is durable when its task completes; reads use pooled connections. Decisions (drift, lifecycle,
/// status merge) come from the pure domain; this class only loads, calls and saves.
/// </summary>
public sealed partial class SqliteEdgeStore : IEdgeStore, IAsyncDisposable
{
    private const string Appliance = "appliance";

    /// <summary>Site id reported until a seed (or, later, the cloud hub) names the site.</summary>
    public const string UnnamedSite = "unnamed-site";

    private readonly GroupCommitWriter _writer;
    private readonly ReadPool _reads;
    private readonly int _checkinIntervalSeconds;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, BlueprintEntry> _blueprints = new(StringComparer.Ordinal);

    // Serializes catalog reloads: each reads the rows committed so far, so the last one to run leaves the newest.
    private readonly Lock _reloadLock = new();

    // False during the first load at open: nothing was declared before it, so nobody is woken for it.
    private bool _blueprintsLoaded;

    private SqliteEdgeStore(string dataDirectory, int checkinIntervalSeconds, TimeProvider clock)
    {
        var connection = EdgeDatabase.Open(dataDirectory);
        try
        {
            EdgeDatabase.Migrate(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        // The writer touches a few pages of every device it serves; with SQLite's default 2 MiB cache a site's
        // device rows are read back from the file on most check-ins. 32 MiB holds them for thousands of devices.
        connection.ExecuteScalar<long>("PRAGMA cache_size=-32768");
        // Each writer unit runs in a savepoint, and SQLite keeps a copy of every page a savepoint changes (the
        // sub-journal) so that the unit alone can roll back. Past 64 KiB that copy went to a temporary file: about
        // twenty pwrite calls per woken device's check-in, four times the WAL's own. In memory it is a copy, dropped
        // when the unit is released. Only on the writer: reads keep their temporary sorts on disk.
        connection.Execute("PRAGMA temp_store=MEMORY");
        _pushedThrough = connection.ExecuteScalar<long>("SELECT acked_through FROM sync_state WHERE id = 1");
        _writer = new GroupCommitWriter(connection);
        _reads = new ReadPool(dataDirectory);
        _checkinIntervalSeconds = checkinIntervalSeconds;
        _clock = clock;
        Rollouts = new RolloutTracker(RolloutTracker.OfflineAfterIntervals * TimeSpan.FromSeconds(checkinIntervalSeconds));
        ReloadBlueprints();
    }

    public string DataDirectory { get; private init; } = "";

    public GroupCommitWriter Writer => _writer;

    /// <summary>Opens (creating and migrating when needed) the store in <paramref name="dataDirectory"/>.</summary>
    /// <param name="clock">Judges rollouts when blueprints load (the system clock when null).</param>
    public static SqliteEdgeStore Open(string dataDirectory, int checkinIntervalSeconds = 60, TimeProvider? clock = null) =>
        new(dataDirectory, checkinIntervalSeconds, clock ?? TimeProvider.System) { DataDirectory = dataDirectory };

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _reads.Dispose();
    }

    // ---- blueprints ------------------------------------------------------------------------------------

    public IReadOnlyCollection<string> Groups => _blueprints.Keys.Order(StringComparer.Ordinal).ToList();

    public bool HasBlueprint(string group) => _blueprints.ContainsKey(group);

    public async Task ApplySeedAsync(SiteSeed seed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(seed);
        await _writer.WriteAsync(db =>
        {
            if (seed.SiteId is not null)
            {
                db.Execute(
                    "INSERT INTO site (id, site_id, name) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name",
                    seed.SiteId, seed.SiteName ?? seed.SiteId);
            }

            foreach (var blueprint in seed.Blueprints)
                UpsertBlueprint(db, blueprint, now.ToUnixTimeMilliseconds());

            foreach (var token in seed.Tokens)
                InsertToken(db, token.Token, token.Group, token.Uses, token.ExpiresAt, "seed", now);
            return true;
        });
        ReloadBlueprints();
    }

    /// <summary>
    /// Stores a group's blueprint; the same blueprint again leaves the row as it is. Compared whole, not by
    /// declarations token: a new rollout id or plan for the same version is a change.
    /// </summary>
    private static void UpsertBlueprint(SQLiteConnection db, Blueprint blueprint, long nowMs) =>
        db.Execute(
            """
            INSERT INTO blueprints (group_name, blueprint, declarations_token, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (group_name) DO UPDATE SET blueprint = excluded.blueprint,
                declarations_token = excluded.declarations_token, updated_at = excluded.updated_at
            WHERE blueprint <> excluded.blueprint
            """,
            blueprint.Group, JsonSerializer.Serialize(blueprint, EdgeJson.Default.Blueprint), blueprint.ToDeclarations().Token, nowMs);

    /// <summary>
    /// Rebuilds the in-memory catalog from the committed rows; call after the commit that changed them. A group
    /// whose row is gone falls back to the empty blueprint on its next use.
    /// </summary>
    private void ReloadBlueprints()
    {
        lock (_reloadLock)
            ReloadBlueprintsLocked();
    }

    private void ReloadBlueprintsLocked()
    {
        var tokensBefore = _blueprints.ToDictionary(kv => kv.Key, kv => kv.Value.Declarations.Token, StringComparer.Ordinal);
        var (rows, catalog) = _reads.Read(db => (db.Query<BlueprintRow>("SELECT group_name AS GroupName, blueprint AS Blueprint FROM blueprints"), LoadCatalog(db)));
        _catalog = catalog;
        var blueprints = rows.Select(row => JsonSerializer.Deserialize(row.Blueprint, EdgeJson.Default.Blueprint)
            ?? throw new InvalidDataException("stored blueprint of group " + row.GroupName + " is empty")).ToList();
        var rollouts = SiteRollout.From(blueprints, (packageName, versionCode) => catalog.Verified.GetValueOrDefault((packageName, versionCode))?.Manifest);
        _siteRollouts = rollouts;
        for (var i = 0; i < rows.Count; i++)
            _blueprints[rows[i].GroupName] = BlueprintEntry.Of(blueprints[i], catalog, rollouts);

        var stored = rows.Select(r => r.GroupName).ToHashSet(StringComparer.Ordinal);
        foreach (var group in _blueprints.Keys.Where(g => !stored.Contains(g)))
            _blueprints.TryRemove(group, out _);
        // Before anyone reads the new declarations, so a new rollout is judged over its devices, not guessed.
        RefreshRollouts(_clock.GetUtcNow());
        PackagesChanged.Pulse();
        if (_blueprintsLoaded)
            WakeGroupsWhoseDeclarationsChanged(tokensBefore);
        _blueprintsLoaded = true;
    }

    /// <summary>Wakes the devices of every group whose declarations token moved (a group that lost its blueprint included).</summary>
    private void WakeGroupsWhoseDeclarationsChanged(Dictionary<string, string> tokensBefore)
    {
        var changed = _blueprints
            .Where(kv => !tokensBefore.TryGetValue(kv.Key, out var before) || !string.Equals(before, kv.Value.Declarations.Token, StringComparison.Ordinal))
            .Select(kv => kv.Key)
            .Concat(tokensBefore.Keys.Where(group => !_blueprints.ContainsKey(group)))
            .ToArray();
        if (changed.Length == 0)
            return;
        var devices = _reads.Read(db => db.QueryScalars<string>(
            "SELECT id FROM devices WHERE state <> 'Retired' AND group_name IN (" + string.Join(", ", changed.Select(_ => "?")) + ")",
            changed.Cast<object>().ToArray()));
        WakeInMemory(devices, WakeReasons.Declarations);
    }

    private BlueprintEntry BlueprintOf(string group) =>
        _blueprints.TryGetValue(group, out var entry) ? entry : _blueprints.GetOrAdd(group, g => BlueprintEntry.Of(Blueprint.Empty(g), _catalog, []));

    // ---- enrollment tokens -----------------------------------------------------------------------------

    public async Task<IssuedToken> CreateTokenAsync(string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now)
    {
        var clear = "et_" + Base64Url(RandomNumberGenerator.GetBytes(24));
        await _writer.WriteAsync(db => InsertToken(db, clear, group, uses, expiresAt, createdBy, now));
        return new IssuedToken(clear, group, uses, expiresAt);
    }

    public Task ImportTokenAsync(string clearToken, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now) =>
        _writer.WriteAsync(db => InsertToken(db, clearToken, group, uses, expiresAt, createdBy, now));

    /// <summary>Inserts a token once; importing the same clear token again keeps its use count.</summary>
    private static int InsertToken(SQLiteConnection db, string clear, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now) =>
        db.Execute(
            """
            INSERT INTO enrollment_tokens (token_hash, token_prefix, group_name, uses_allowed, expires_at, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (token_hash) DO UPDATE SET uses_allowed = excluded.uses_allowed, expires_at = excluded.expires_at, group_name = excluded.group_name
            """,
            CanonicalHash.Sha256Hex(clear), clear[..Math.Min(8, clear.Length)], group, uses, expiresAt.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), createdBy);

    public IReadOnlyList<TokenSummary> ListTokens() =>
        _reads.Read(db => db.Query<TokenRow>(
                "SELECT token_prefix AS Prefix, group_name AS GroupName, uses_allowed AS UsesAllowed, uses_count AS UsesCount, expires_at AS ExpiresAt, created_at AS CreatedAt FROM enrollment_tokens ORDER BY created_at"))
            .Select(t => new TokenSummary(t.Prefix, t.GroupName, t.UsesAllowed, t.UsesCount, FromMs(t.ExpiresAt), FromMs(t.CreatedAt)))
            .ToList();

    // ---- enrollment ------------------------------------------------------------------------------------

    public async Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now)
    {
        var enrolled = await EnrollUnitAsync(attempt, now);
        // One more device to count in a rollout (or one that left another group's).
        if (enrolled.Value is not null && _siteRollouts.Count > 0)
            Rollouts.Stale.Pulse();
        return enrolled;
    }

    private Task<Outcome<Enrolled>> EnrollUnitAsync(EnrollmentAttempt attempt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var secret = "ds_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var secretHash = CanonicalHash.Sha256Hex(secret);
        var brokerHash = MosquittoPasswordHash.Create(secret);
        return _writer.WriteAsync<Outcome<Enrolled>>(db =>
        {
            var token = db.Query<TokenRow>(
                "SELECT token_prefix AS Prefix, group_name AS GroupName, uses_allowed AS UsesAllowed, uses_count AS UsesCount, expires_at AS ExpiresAt FROM enrollment_tokens WHERE token_hash = ?",
                attempt.TokenHash).FirstOrDefault();
            if (token is null)
                return new Refusal(RefusalKind.Forbidden, "Enrollment token not recognised", "this site has no such enrollment token");
            if (token.ExpiresAt <= now.ToUnixTimeMilliseconds())
                return new Refusal(RefusalKind.Forbidden, "Enrollment token expired", $"the enrollment token expired at {FromMs(token.ExpiresAt):O}");
            if (token.UsesCount >= token.UsesAllowed)
                return new Refusal(RefusalKind.Forbidden, "Enrollment token used up", $"the enrollment token has been used {token.UsesCount} of {token.UsesAllowed} times");

            var existing = db.Query<DeviceRow>(DeviceRow.Select + " WHERE serial = ?", attempt.Serial).FirstOrDefault();
            string deviceId;
            if (existing is null)
            {
                deviceId = "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                db.Execute(
                    """
                    INSERT INTO devices (id, serial, model, manufacturer, os_version, agent_version, group_name, state, secret_hash, broker_hash, enrolled_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    deviceId, attempt.Serial, attempt.Model, attempt.Manufacturer, attempt.OsVersion, attempt.AgentVersion,
                    token.GroupName, nameof(DeviceState.Enrolling), secretHash, brokerHash, now.ToUnixTimeMilliseconds());
                Outbox.Enrolled(db, deviceId, attempt, token.GroupName, reenrolled: false, now.ToUnixTimeMilliseconds());
                InsertTransition(db, deviceId, null, DeviceState.Enrolling, "device " + attempt.Serial, "enrollment with token " + token.Prefix + "…", now);
            }
            else
            {
                deviceId = existing.Id;
                var from = existing.DeviceState;
                if (!DeviceLifecycle.CanTransition(from, DeviceState.Enrolling))
                    return new Refusal(RefusalKind.Forbidden, "Device cannot enroll", $"device {attempt.Serial} is {from} and cannot enroll again");
                // Re-enrollment of a wiped device: same record and history, new secret (the old one stops working).
                db.Execute(
                    """
                    UPDATE devices SET model = ?, manufacturer = ?, os_version = ?, agent_version = ?, group_name = ?, secret_hash = ?, broker_hash = ?,
                        enrolled_at = ?, enrollment_count = enrollment_count + 1, reported_declarations_token = NULL, status = '{}',
                        compliant = 0, findings = '[]'
                    WHERE id = ?
                    """,
                    attempt.Model, attempt.Manufacturer, attempt.OsVersion, attempt.AgentVersion, token.GroupName, secretHash, brokerHash,
                    now.ToUnixTimeMilliseconds(), deviceId);
                db.Execute("DELETE FROM installed_apps WHERE device_id = ?", deviceId);
                Outbox.Enrolled(db, deviceId, attempt, token.GroupName, reenrolled: true, now.ToUnixTimeMilliseconds());
                Transition(db, deviceId, from, DeviceState.Enrolling, "device " + attempt.Serial, "re-enrollment with token " + token.Prefix + "…", now);
            }

            Transition(db, deviceId, DeviceState.Enrolling, DeviceState.Staging, Appliance, "enrollment accepted", now);
            db.Execute("UPDATE enrollment_tokens SET uses_count = uses_count + 1 WHERE token_hash = ?", attempt.TokenHash);
            var siteId = db.ExecuteScalar<string?>("SELECT site_id FROM site WHERE id = 1") ?? UnnamedSite;
            return new Enrolled(deviceId, secret, siteId, token.GroupName, existing is not null);
        });
    }

    // ---- check-in --------------------------------------------------------------------------------------

    public async Task<Outcome<CheckinResponse>> CheckinAsync(string secretHash, DeviceStatus? changes, string? heldDeclarationsToken, DateTimeOffset now)
    {
        var outcomeChanged = false;
        ParsedStatus? written = null;
        var answer = await _writer.WriteAsync<Outcome<CheckinResponse>>(db =>
        {
            var device = DeviceBySecret(db, secretHash);
            if (device is null)
                return UnknownSecret;
            if (!DeviceLifecycle.MayCheckIn(device.DeviceState))
                return new Refusal(RefusalKind.Forbidden, "Device retired", $"device {device.Serial} is retired");

            var stored = StoredStatusOf(device);
            var status = changes is null ? stored : StatusMerge.Apply(stored, changes);
            written = new ParsedStatus(device.Id, device.CheckinCount + 1, device.EnrollmentCount, status);
            var entry = BlueprintOf(device.GroupName);
            var before = RolloutDeviceOf(device, stored, device.LastCheckinAt is { } last ? FromMs(last) : null);
            var after = before with { Status = status, LastCheckIn = now };
            // Drift against what this device is declared: a device its rollout keeps on the from version is not
            // out of line for running it (docs/architecture.md, rollouts at the site).
            var declared = Declared(entry, after, now);
            var drift = DriftEvaluator.Evaluate(declared.Blueprint, status, now);
            outcomeChanged = entry.Staged.Any(s => Rollouts.Judge(s.Rollout, before, now) != Rollouts.Judge(s.Rollout, after, now));

            if (device.DeviceState == DeviceState.Staging && StatusMerge.StagingComplete(status.Staging)
                && string.Equals(heldDeclarationsToken, declared.Declarations.Token, StringComparison.Ordinal))
            {
                Transition(db, device.Id, DeviceState.Staging, DeviceState.Active, Appliance, "staging complete", now);
            }

            var statusJson = changes is null ? device.Status : JsonSerializer.Serialize(status, DeviceProtocolJson.Default.DeviceStatus);
            db.Prepared(
                """
                UPDATE devices SET status = ?1, compliant = ?2, findings = ?3, last_checkin_at = ?4, checkin_count = checkin_count + 1,
                    reported_declarations_token = ?5, os_version = coalesce(?6, os_version)
                WHERE id = ?7
                """)
                .Bind(1, statusJson)
                .Bind(2, drift.Compliant ? 1 : 0)
                .Bind(3, JsonSerializer.Serialize(drift.Findings.ToList(), EdgeJson.Default.ListDriftFinding))
                .Bind(4, now.ToUnixTimeMilliseconds())
                .Bind(5, heldDeclarationsToken)
                .Bind(6, changes?.Os?.Version)
                .Bind(7, device.Id)
                .Execute();
            // Only the fact that the status changed: the sync worker reads the status itself when it takes the
            // batch (status is state, the newest is what the hub wants), so a check-in writes it once, not twice.
            Outbox.StatusReported(db, device.Id, now.ToUnixTimeMilliseconds());

            if (changes?.Apps is { } apps)
                ReplaceInstalledApps(db, device.Id, apps);

            return new CheckinResponse(declared.Declarations.Token, TakeOpenCommands(db, device.Id, now), _checkinIntervalSeconds);
        });
        if (outcomeChanged)
            Rollouts.Stale.Pulse();
        // Only once committed: a unit rolled back must not leave a status that no row holds.
        if (answer.Value is not null && written is { } parsed)
            RememberStatus(parsed);
        return answer;
    }

    // The status each device's last committed check-in wrote, already parsed: reading a device's whole status back
    // from JSON was the largest managed cost of a check-in on the writer (docs/benchmarks.md). An entry stands for
    // the row only while the row's check-in and enrollment counts are the ones it was written with; everything
    // that changes a stored status moves one of them. Bounded, so a site with more devices parses the rest.
    private const int MaxParsedStatuses = 20_000;
    private readonly ConcurrentDictionary<string, ParsedStatus> _parsedStatuses = new(StringComparer.Ordinal);

    private sealed record ParsedStatus(string DeviceId, long CheckinCount, int EnrollmentCount, DeviceStatus Status);

    private DeviceStatus StoredStatusOf(DeviceRow device) =>
        _parsedStatuses.TryGetValue(device.Id, out var parsed) && parsed.CheckinCount == device.CheckinCount && parsed.EnrollmentCount == device.EnrollmentCount
            ? parsed.Status
            : JsonSerializer.Deserialize(device.Status, DeviceProtocolJson.Default.DeviceStatus) ?? new DeviceStatus();

    private void RememberStatus(ParsedStatus parsed)
    {
        if (_parsedStatuses.Count < MaxParsedStatuses || _parsedStatuses.ContainsKey(parsed.DeviceId))
            _parsedStatuses[parsed.DeviceId] = parsed;
    }

    /// <summary>What the hub learns of a check-in: the whole merged status, not the delta the device sent.</summary>
    /// <summary>A device's status as the hub receives it: the merged status, its drift and the token it held.</summary>
    internal static Contracts.Sync.StatusReported Reported(string statusJson, bool compliant, IEnumerable<DriftFinding> findings, string? heldDeclarationsToken, long lastCheckinMs)
    {
        var reported = new Contracts.Sync.StatusReported
        {
            StatusJson = statusJson,
            Compliant = compliant,
            LastCheckinUnixMs = lastCheckinMs,
            DeclarationsToken = heldDeclarationsToken ?? "",
        };
        foreach (var finding in findings)
        {
            reported.Findings.Add(new Contracts.Sync.DriftFinding
            {
                Item = finding.Item,
                Expected = finding.Expected,
                Actual = finding.Actual,
                Severity = finding.Severity.ToString(),
            });
        }

        return reported;
    }

    private static readonly Refusal UnknownSecret =
        new(RefusalKind.Unauthorized, "Unknown device credential", "the bearer secret matches no enrolled device; enroll again");

    private static void ReplaceInstalledApps(SQLiteConnection db, string deviceId, IReadOnlyList<InstalledApp> apps)
    {
        db.Prepared("DELETE FROM installed_apps WHERE device_id = ?1").Bind(1, deviceId).Execute();
        var insert = db.Prepared("INSERT OR REPLACE INTO installed_apps (device_id, package_name, version_code, version_name) VALUES (?1, ?2, ?3, ?4)");
        foreach (var app in apps)
        {
            insert.Reset();
            insert.Bind(1, deviceId).Bind(2, app.PackageName).Bind(3, app.VersionCode).Bind(4, app.VersionName).Execute();
        }
    }

    /// <summary>
    /// Commands still to be carried out, oldest first. A command is delivered again on every check-in until
    /// its result arrives (the answer may have been lost on the Wi-Fi); one past its expiry is never delivered
    /// and is closed as expired.
    /// </summary>
    private static List<DeviceCommand> TakeOpenCommands(SQLiteConnection db, string deviceId, DateTimeOffset now)
    {
        var open = new List<CommandRow>();
        var select = db.Prepared(CommandRow.Select + " WHERE device_id = ? AND status IN ('queued', 'delivered') ORDER BY created_at").Bind(1, deviceId);
        while (select.Step())
            open.Add(CommandRow.Read(select));
        select.Reset();
        var deliver = new List<DeviceCommand>(open.Count);
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var command in open)
        {
            if (command.ExpiresAt is { } expires && expires <= nowMs)
            {
                db.Prepared("UPDATE commands SET status = 'expired', completed_at = ?1 WHERE id = ?2").Bind(1, nowMs).Bind(2, command.Id).Execute();
                Outbox.CommandResult(db, deviceId, command.Id, "expired", null, nowMs, nowMs);
                continue;
            }

            if (string.Equals(command.Status, "queued", StringComparison.Ordinal))
            {
                db.Prepared("UPDATE commands SET status = 'delivered', delivered_at = ?1 WHERE id = ?2").Bind(1, nowMs).Bind(2, command.Id).Execute();
                Outbox.CommandResult(db, deviceId, command.Id, "delivered", null, nowMs, nowMs);
            }

            var parameters = JsonSerializer.Deserialize(command.Parameters, EdgeJson.Default.DictionaryStringString) ?? [];
            deliver.Add(new DeviceCommand(command.Id, command.Type, parameters, command.ExpiresAt is { } e ? FromMs(e) : null));
        }

        return deliver;
    }

    public Outcome<DeclarationsDocument> Declarations(string secretHash)
    {
        var device = _reads.Read(db => DeviceBySecret(db, secretHash));
        if (device is null)
            return UnknownSecret;
        if (!DeviceLifecycle.MayCheckIn(device.DeviceState))
            return new Refusal(RefusalKind.Forbidden, "Device retired", $"device {device.Serial} is retired");
        var entry = BlueprintOf(device.GroupName);
        if (entry.Staged.Count == 0)
            return entry.Base.Declarations;
        var status = JsonSerializer.Deserialize(device.Status, DeviceProtocolJson.Default.DeviceStatus) ?? new DeviceStatus();
        return Declared(entry, RolloutDeviceOf(device, status, device.LastCheckinAt is { } last ? FromMs(last) : null), _clock.GetUtcNow()).Declarations;
    }

    public Task<Outcome<CommandRecorded>> RecordCommandResultAsync(string secretHash, string commandId, CommandOutcomeReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        return _writer.WriteAsync<Outcome<CommandRecorded>>(db =>
        {
            var device = DeviceBySecret(db, secretHash);
            if (device is null)
                return UnknownSecret;
            var command = db.Query<CommandRow>(CommandRow.Select + " WHERE id = ?", commandId).FirstOrDefault();
            if (command is null)
                return new Refusal(RefusalKind.NotFound, "Unknown command", $"no command {commandId} at this site");
            if (!string.Equals(command.DeviceId, device.Id, StringComparison.Ordinal))
                return new Refusal(RefusalKind.Forbidden, "Command of another device", $"command {commandId} is not addressed to this device");

            var status = report.Succeeded ? "succeeded" : "failed";
            switch (command.Status)
            {
                case "succeeded" or "failed" when string.Equals(command.Status, status, StringComparison.Ordinal):
                    return new CommandRecorded(commandId, status, AlreadyRecorded: true);
                case "succeeded" or "failed" or "expired":
                    return new Refusal(RefusalKind.Conflict, "Command already closed", $"command {commandId} is already {command.Status}");
            }

            db.Execute(
                "UPDATE commands SET status = ?, result_message = ?, result_at = ?, completed_at = ? WHERE id = ?",
                status, report.Message, (report.FinishedAt ?? now).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), commandId);
            Outbox.CommandResult(db, device.Id, commandId, status, report.Message, (report.FinishedAt ?? now).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds());
            return new CommandRecorded(commandId, status, AlreadyRecorded: false);
        });
    }

    // ---- operator actions ------------------------------------------------------------------------------

    public async Task<Outcome<CommandSummary>> QueueCommandAsync(
        string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now)
    {
        var queued = await _writer.WriteAsync<Outcome<CommandSummary>>(db =>
        {
            var device = FindDevice(db, deviceId);
            if (device is null)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceId} at this site");
            if (!DeviceLifecycle.MayCheckIn(device.DeviceState))
                return new Refusal(RefusalKind.Conflict, "Device retired", $"device {device.Serial} is retired and takes no commands");
            return InsertCommand(db, device.Id, type, parameters, expiresAt, actor, now);
        });
        WakesQueued.Pulse();
        return queued;
    }

    public async Task<IReadOnlyList<CommandSummary>> QueueGroupCommandAsync(
        string group, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now)
    {
        var queued = await _writer.WriteAsync<IReadOnlyList<CommandSummary>>(db => db
            .QueryScalars<string>("SELECT id FROM devices WHERE group_name = ? AND state <> 'Retired' ORDER BY serial", group)
            .Select(deviceId => InsertCommand(db, deviceId, type, parameters, expiresAt, actor, now))
            .ToList());
        WakesQueued.Pulse();
        return queued;
    }

    /// <summary>Queues a command, its outbox row and the device's wake, in the caller's writer unit.</summary>
    private static CommandSummary InsertCommand(
        SQLiteConnection db, string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now)
    {
        var id = "cmd-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        db.Execute(
            "INSERT INTO commands (id, device_id, type, parameters, status, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
            id, deviceId, type, JsonSerializer.Serialize(parameters.ToDictionary(StringComparer.Ordinal), EdgeJson.Default.DictionaryStringString),
            now.ToUnixTimeMilliseconds(), actor, expiresAt?.ToUnixTimeMilliseconds());
        Outbox.CommandQueued(db, deviceId, id, type, parameters, expiresAt?.ToUnixTimeMilliseconds(), actor, now.ToUnixTimeMilliseconds());
        QueueWake(db, deviceId, WakeReasons.Command, now.ToUnixTimeMilliseconds());
        return new CommandSummary(id, deviceId, type, "queued", now, expiresAt, null, null);
    }

    public IReadOnlyList<CommandSummary> ListCommands(string? deviceId) =>
        _reads.Read(db =>
        {
            var rows = deviceId is null
                ? db.Query<CommandRow>(CommandRow.Select + " ORDER BY created_at")
                : db.Query<CommandRow>(CommandRow.Select + " WHERE device_id = (SELECT id FROM devices WHERE id = ?1 OR serial = ?1) ORDER BY created_at", deviceId);
            return rows.Select(c => new CommandSummary(
                c.Id, c.DeviceId, c.Type, c.Status, FromMs(c.CreatedAt),
                c.ExpiresAt is { } e ? FromMs(e) : null, c.DeliveredAt is { } d ? FromMs(d) : null, c.ResultMessage)).ToList();
        });

    public async Task<Outcome<StateTransitionRecord>> TransitionAsync(string deviceId, DeviceState target, string actor, string reason, DateTimeOffset now)
    {
        var outcome = await _writer.WriteAsync<Outcome<StateTransitionRecord>>(db =>
        {
            var device = FindDevice(db, deviceId);
            if (device is null)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceId} at this site");
            if (!DeviceLifecycle.CanTransition(device.DeviceState, target))
            {
                var allowed = string.Join(", ", DeviceLifecycle.AllowedTargets(device.DeviceState));
                return new Refusal(RefusalKind.Conflict, "Transition not allowed",
                    $"device {device.Serial} is {device.DeviceState} and cannot go to {target} (allowed: {(allowed.Length == 0 ? "none" : allowed)})");
            }

            var t = Transition(db, device.Id, device.DeviceState, target, actor, reason, now);
            // Back to staging (after a repair): the device has staging steps to run again.
            if (target == DeviceState.Staging)
                QueueWake(db, device.Id, WakeReasons.Staging, now.ToUnixTimeMilliseconds());
            return new StateTransitionRecord(t.From, t.To, t.Actor, t.Reason, t.At);
        });
        if (outcome.Value?.To == DeviceState.Staging)
            WakesQueued.Pulse();
        return outcome;
    }

    /// <summary>The device holding this secret, on the hot path of every device request.</summary>
    private static DeviceRow? DeviceBySecret(SQLiteConnection db, string secretHash)
    {
        var select = db.Prepared(DeviceRow.Select + " WHERE secret_hash = ?").Bind(1, secretHash);
        var device = select.Step() ? DeviceRow.Read(select) : null;
        select.Reset();
        return device;
    }

    private static DeviceRow? FindDevice(SQLiteConnection db, string deviceIdOrSerial) =>
        db.Query<DeviceRow>(DeviceRow.Select + " WHERE id = ?1 OR serial = ?1", deviceIdOrSerial).FirstOrDefault();

    private static StateTransition Transition(SQLiteConnection db, string deviceId, DeviceState from, DeviceState to, string actor, string reason, DateTimeOffset now)
    {
        var transition = DeviceLifecycle.Transition(from, to, actor, reason, now);
        db.Execute("UPDATE devices SET state = ? WHERE id = ?", to.ToString(), deviceId);
        InsertTransition(db, deviceId, from, to, actor, reason, now);
        return transition;
    }

    /// <summary>Records a lifecycle change in the device's history and, in the same unit, in the outbox.</summary>
    private static void InsertTransition(SQLiteConnection db, string deviceId, DeviceState? from, DeviceState to, string actor, string reason, DateTimeOffset now)
    {
        db.Execute(
            "INSERT INTO device_transitions (device_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
            deviceId, from?.ToString(), to.ToString(), actor, reason, now.ToUnixTimeMilliseconds());
        Outbox.Transitioned(db, deviceId, from, to, actor, reason, now.ToUnixTimeMilliseconds());
    }

    // ---- fleet queries ---------------------------------------------------------------------------------

    public IReadOnlyList<DeviceSummary> ListDevices() =>
        _reads.Read(db => db.Query<DeviceRow>(DeviceRow.Select + " ORDER BY serial")).Select(Summarize).ToList();

    public DeviceDetail? Device(string deviceIdOrSerial) =>
        _reads.Read(db =>
        {
            var device = FindDevice(db, deviceIdOrSerial);
            if (device is null)
                return null;
            var history = db.Query<TransitionRow>(
                    "SELECT from_state AS FromState, to_state AS ToState, actor AS Actor, reason AS Reason, at AS At FROM device_transitions WHERE device_id = ? ORDER BY id",
                    device.Id)
                .Select(t => new StateTransitionRecord(
                    t.FromState is null ? null : Enum.Parse<DeviceState>(t.FromState), Enum.Parse<DeviceState>(t.ToState), t.Actor, t.Reason, FromMs(t.At)))
                .ToList();
            return new DeviceDetail(Summarize(device), Findings(device), history, device.EnrollmentCount);
        });

    public DriftSummary Drift() =>
        _reads.Read(db =>
        {
            var devices = db.Query<DeviceRow>(DeviceRow.Select + " WHERE state <> 'Retired' ORDER BY serial");
            // A rollout's from version is as required as its target while devices are still declared it.
            var required = _blueprints.Values
                .SelectMany(b => b.Blueprint.Apps)
                .SelectMany(a => SiteRollout.ActiveRollout(a) is { FromVersionCode: { } from } ? new[] { (a.PackageName, a.VersionCode), (a.PackageName, from) } : [(a.PackageName, a.VersionCode)])
                .ToHashSet();
            var versions = db.Query<AppVersionRow>(
                    """
                    SELECT a.package_name AS PackageName, a.version_code AS VersionCode, max(a.version_name) AS VersionName, count(*) AS Devices
                    FROM installed_apps a JOIN devices d ON d.id = a.device_id
                    WHERE d.state <> 'Retired'
                    GROUP BY a.package_name, a.version_code
                    ORDER BY a.package_name, a.version_code DESC
                    """)
                .Select(v => new AppVersionCount(v.PackageName, v.VersionCode, v.VersionName, v.Devices, required.Contains((v.PackageName, v.VersionCode))))
                .ToList();
            var nonCompliant = devices
                .Where(d => d.Compliant == 0)
                .Select(d => new NonCompliantDevice(d.Id, d.Serial, d.GroupName, d.DeviceState, Findings(d)))
                .ToList();
            return new DriftSummary(devices.Count, devices.Count - nonCompliant.Count, versions, nonCompliant);
        });

    private static List<DriftFinding> Findings(DeviceRow device) =>
        JsonSerializer.Deserialize(device.Findings, EdgeJson.Default.ListDriftFinding) ?? [];

    private static DeviceSummary Summarize(DeviceRow d)
    {
        var status = JsonSerializer.Deserialize(d.Status, DeviceProtocolJson.Default.DeviceStatus);
        return new DeviceSummary(
            d.Id, d.Serial, d.Manufacturer, d.Model, d.GroupName, d.DeviceState, d.Compliant != 0,
            Findings(d).Count, status?.Battery?.Level, d.OsVersion,
            d.LastCheckinAt is { } at ? FromMs(at) : null, d.CheckinCount);
    }

    private static DateTimeOffset FromMs(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
