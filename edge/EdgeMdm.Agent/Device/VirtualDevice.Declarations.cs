using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Rollouts;
using InstallFailure = EdgeMdm.Contracts.Device.InstallFailure;

namespace EdgeMdm.Agent;

/// <summary>A declared item the device has not carried out yet.</summary>
/// <param name="Item">What is being done, e.g. <c>install com.acme.scan 2.1.0 (210)</c>.</param>
/// <param name="LastError">Why the last attempt failed, or null before the first failure.</param>
public sealed record PendingStep(string Item, int Attempts, string? LastError, DateTimeOffset NextAttemptAt);

// Declarations: fetched desired state, carried out one step at a time (installs, configurations,
// certificates), with failures and backoff like a real device.
public sealed partial class VirtualDevice
{
    private const int CertificateLifetimeDays = 365;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(15);

    private readonly SortedDictionary<string, InstalledPackage> _apps = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _configurations = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, DateTimeOffset> _certificates = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, InstallFailure> _installFailures = new(StringComparer.Ordinal);
    private readonly List<WorkItem> _work = [];
    private DeclarationsDocument? _declarations;
    private DeclarationsVerification? _verification;
    private DateTimeOffset _workCursor;

    /// <summary>
    /// What the device reports of the signed sets it was handed (<see cref="DeviceStatus.DeclarationsVerification"/>):
    /// the version it holds, and the last refusal while the newest set it fetched was refused. Stamped now.
    /// </summary>
    internal void RecordDeclarationsVerification(DeclarationsVerification verification)
    {
        ArgumentNullException.ThrowIfNull(verification);
        _verification = verification with { At = Advance() };
    }

    /// <summary>The token of the declarations the device holds; null before it fetched any.</summary>
    public string? DeclarationsToken => _declarations?.Token;

    /// <summary>Chance that one app download fails (default 5 %). Internal so tests can pin it.</summary>
    internal double DownloadFailureRate { get; set; } = 0.05;

    /// <summary>What is still to be done, earliest next attempt first.</summary>
    public IReadOnlyList<PendingStep> PendingSteps
    {
        get
        {
            Advance();
            return _work.OrderBy(w => w.DueAt)
                .Select(w => new PendingStep(w.Description, w.Attempts, w.LastError, w.DueAt))
                .ToArray();
        }
    }

    /// <summary>Staging progress as it would be reported now: the plan's steps, or without a plan the declared items done; null before either.</summary>
    public StagingProgress? Staging
    {
        get
        {
            Advance();
            return StagingSnapshot();
        }
    }

    /// <summary>
    /// Takes a newly fetched document as the desired state. Configurations and certificates it no longer
    /// names are removed; apps stay installed. What is missing is carried out over the next minutes, one
    /// step after another, as time passes.
    /// </summary>
    public void ApplyDeclarations(DeclarationsDocument declarations)
    {
        ArgumentNullException.ThrowIfNull(declarations);
        var now = Advance();
        Hold(declarations);
        _work.Clear();
        _workCursor = now;
        Reconcile(now);
    }

    /// <summary>
    /// Takes a document as already carried out: the agent restarted, and the device kept what it had
    /// installed and applied under these declarations before.
    /// </summary>
    public void RestoreDeclarations(DeclarationsDocument declarations)
    {
        ArgumentNullException.ThrowIfNull(declarations);
        var now = Advance();
        Hold(declarations);
        _work.Clear();
        // A package from the appliance counts only once the agent installed it (the apps it restores from its
        // state file); the other apps came from a store the simulation does not model, as before.
        foreach (var app in declarations.Apps.Where(a => a.Package is null))
            _apps[app.PackageName] = new InstalledPackage(app.VersionCode, app.VersionName, AppSizeBytes(app.PackageName, app.VersionCode));
        foreach (var configuration in declarations.Configurations)
            _configurations[configuration.Id] = configuration.Hash;
        foreach (var certificate in declarations.Certificates)
            _certificates[certificate.Name] = now.AddDays(CertificateLifetimeDays);
    }

    private void Hold(DeclarationsDocument declarations)
    {
        _declarations = declarations;
        foreach (var id in _configurations.Keys.Where(id => !declarations.Configurations.Any(c => string.Equals(c.Id, id, StringComparison.Ordinal))).ToList())
            _configurations.Remove(id);
        foreach (var name in _certificates.Keys.Where(n => !declarations.Certificates.Any(c => string.Equals(c.Name, n, StringComparison.Ordinal))).ToList())
            _certificates.Remove(name);
    }

    private void InstallPreloadedApps()
    {
        _apps["com.android.chrome"] = new InstalledPackage(677813533, "131.0.6778.135", 280 * MiB);
        _apps[SampleApp.Default.PackageName] = new InstalledPackage(SampleApp.Default.VersionCode, SampleApp.Default.VersionName, AppSizeBytes(SampleApp.Default.PackageName, SampleApp.Default.VersionCode));
    }

    /// <summary>
    /// The sample app the device came with: replaces <see cref="SampleApp.Default"/>; null for none. Meant for
    /// right after construction, so a simulated fleet starts compliant on whatever the site's blueprints name.
    /// </summary>
    public void SetSampleApp(SampleApp? sample)
    {
        _apps.Remove(SampleApp.Default.PackageName);
        if (sample is not null)
            _apps[sample.PackageName] = new InstalledPackage(sample.VersionCode, sample.VersionName, AppSizeBytes(sample.PackageName, sample.VersionCode));
    }

    /// <summary>Apps the agent installed in an earlier run (its state file): the device still runs them.</summary>
    public void RestoreApps(IEnumerable<InstalledApp> apps)
    {
        ArgumentNullException.ThrowIfNull(apps);
        foreach (var app in apps)
        {
            if (app is { PackageName: { } name, VersionCode: { } code })
                _apps[name] = new InstalledPackage(code, app.VersionName ?? "", AppSizeBytes(name, code));
        }
    }

    /// <summary>The apps installed now, sorted by package name.</summary>
    public IReadOnlyList<InstalledApp> InstalledApps =>
        _apps.Select(a => new InstalledApp { PackageName = a.Key, VersionCode = a.Value.VersionCode, VersionName = a.Value.VersionName }).ToArray();

    /// <summary>
    /// Declared apps the appliance serves as packages (<see cref="AppDeclaration.Package"/>) that the device
    /// does not run at the declared version code. The agent downloads, verifies and installs these itself
    /// (<see cref="TryInstallPackage"/>); the device's own work list leaves them out.
    /// </summary>
    public IReadOnlyList<AppDeclaration> PackagesToInstall
    {
        get
        {
            Advance();
            return PendingPackages().ToArray();
        }
    }

    /// <summary>Free storage as the device would report it now.</summary>
    internal long FreeBytes
    {
        get
        {
            Advance();
            return _freeBytes;
        }
    }

    /// <summary>
    /// Installs a verified package of <paramref name="sizeBytes"/>. Refused (false, with the reason for a
    /// person) when free storage is below the package's size; the agent reports that as <c>storage_full</c>.
    /// Success clears the package's reported failure.
    /// </summary>
    public bool TryInstallPackage(AppDeclaration app, long sizeBytes, out string refusal)
    {
        ArgumentNullException.ThrowIfNull(app);
        Advance();
        if (_freeBytes < sizeBytes)
        {
            refusal = string.Create(CultureInfo.InvariantCulture, $"storage full: the package needs {Megabytes(sizeBytes)} MB, {Megabytes(_freeBytes)} MB free");
            return false;
        }

        var replaced = _apps.TryGetValue(app.PackageName, out var old) ? old.SizeBytes : 0;
        _freeBytes = Math.Max(0, _freeBytes - sizeBytes + replaced);
        _apps[app.PackageName] = new InstalledPackage(app.VersionCode, app.VersionName, sizeBytes);
        _installFailures.Remove(app.PackageName);
        refusal = "";
        return true;
    }

    /// <summary>
    /// The last failure for a package, reported (<see cref="DeviceStatus.InstallFailures"/>) while the device
    /// does not run the declared version and that version is the one that failed.
    /// </summary>
    public void RecordInstallFailure(AppDeclaration app, InstallFailureReason reason, string message)
    {
        ArgumentNullException.ThrowIfNull(app);
        var now = Advance();
        _installFailures[app.PackageName] = new InstallFailure
        {
            PackageName = app.PackageName,
            VersionCode = app.VersionCode,
            Reason = reason.ToWire(),
            Message = message,
            At = now,
        };
    }

    private IEnumerable<AppDeclaration> PendingPackages() =>
        _declarations is null ? []
        : _declarations.Apps.Where(a => a.Package is not null && !(_apps.TryGetValue(a.PackageName, out var installed) && installed.VersionCode == a.VersionCode));

    /// <summary>Failures of declared versions the device still does not run; a new version or an install clears them.</summary>
    private InstallFailure[] CurrentInstallFailures()
    {
        if (_declarations is null || _installFailures.Count == 0)
            return [];
        return _declarations.Apps
            .Where(a => !(_apps.TryGetValue(a.PackageName, out var installed) && installed.VersionCode == a.VersionCode))
            .Select(a => _installFailures.TryGetValue(a.PackageName, out var failure) && failure.VersionCode == a.VersionCode ? failure : null)
            .OfType<InstallFailure>()
            .OrderBy(f => f.PackageName, StringComparer.Ordinal)
            .ToArray();
    }

    private static long Megabytes(long bytes) => bytes / MiB;

    /// <summary>Queues every declared item that is not in place and not queued yet.</summary>
    private void Reconcile(DateTimeOffset now)
    {
        if (_declarations is null)
            return;
        foreach (var app in _declarations.Apps.Where(a => a.Package is null))
        {
            if (!(_apps.TryGetValue(app.PackageName, out var installed) && installed.VersionCode == app.VersionCode))
                Enqueue(now, new WorkItem("app:" + app.PackageName, Describe(app), AppDuration(app)) { App = app });
        }

        foreach (var configuration in _declarations.Configurations)
        {
            if (!(_configurations.TryGetValue(configuration.Id, out var hash) && string.Equals(hash, configuration.Hash, StringComparison.Ordinal)))
                Enqueue(now, new WorkItem("config:" + configuration.Id, "apply configuration " + configuration.Id, TimeSpan.FromSeconds(2)) { Configuration = configuration });
        }

        foreach (var certificate in _declarations.Certificates)
        {
            // Renew when less than MinDaysValid remain. A certificate lives 365 days, so a rule asking for
            // more can never be met; renewing at 300 days at most keeps such a rule from looping forever.
            var renewBefore = TimeSpan.FromDays(Math.Min(certificate.MinDaysValid, 300));
            if (!(_certificates.TryGetValue(certificate.Name, out var notAfter) && notAfter - now >= renewBefore))
                Enqueue(now, new WorkItem("cert:" + certificate.Name, "enroll certificate " + certificate.Name, TimeSpan.FromSeconds(6)) { Certificate = certificate });
        }
    }

    /// <summary>Steps run one after another: each is due when the one queued before it would be done.</summary>
    private void Enqueue(DateTimeOffset now, WorkItem item)
    {
        if (_work.Exists(w => string.Equals(w.Key, item.Key, StringComparison.Ordinal)))
            return;
        _workCursor = (_workCursor > now ? _workCursor : now) + item.Duration;
        item.DueAt = _workCursor;
        _work.Add(item);
    }

    private void ProcessDueWork(DateTimeOffset now)
    {
        Reconcile(now);
        while (_work.Count > 0)
        {
            var next = _work.MinBy(w => w.DueAt)!;
            if (next.DueAt > now)
                return;
            var error = Attempt(next, next.DueAt);
            if (error is null)
            {
                _work.Remove(next);
                continue;
            }

            next.Attempts++;
            next.LastError = error;
            next.DueAt += RetryDelay(next.Attempts);
        }
    }

    /// <summary>Carries out one step at <paramref name="at"/>; returns why it failed, or null.</summary>
    private string? Attempt(WorkItem item, DateTimeOffset at)
    {
        if (item.App is { } app)
        {
            var failure = Install(app);
            if (failure is null)
                _installFailures.Remove(app.PackageName);
            else
                _installFailures[app.PackageName] = new InstallFailure { PackageName = app.PackageName, VersionCode = app.VersionCode, Reason = failure.Value.Reason.ToWire(), Message = failure.Value.Message, At = at };
            return failure?.Message;
        }

        if (item.Configuration is { } configuration)
            _configurations[configuration.Id] = configuration.Hash; // the contract: report the declared hash
        if (item.Certificate is { } certificate)
            _certificates[certificate.Name] = at.AddDays(CertificateLifetimeDays);
        return null;
    }

    /// <summary>An app from a store the simulation does not model: it fails now and then, like a real download.</summary>
    private (InstallFailureReason Reason, string Message)? Install(AppDeclaration app)
    {
        var size = AppSizeBytes(app.PackageName, app.VersionCode);

        // Android needs room for the downloaded package and the unpacked app side by side.
        var needed = size * 2;
        if (_freeBytes < needed)
            return (InstallFailureReason.StorageFull, $"storage full: needs {needed / MiB} MB, {_freeBytes / MiB} MB free");
        if (_behaviour.NextDouble() < DownloadFailureRate)
            return (InstallFailureReason.DownloadFailed, "download failed: connection reset while fetching the package from the appliance");
        var replaced = _apps.TryGetValue(app.PackageName, out var old) ? old.SizeBytes : 0;
        _freeBytes = Math.Max(MinFreeBytes, _freeBytes - size + replaced);
        _apps[app.PackageName] = new InstalledPackage(app.VersionCode, app.VersionName, size);
        return null;
    }

    /// <summary>30 s, 60 s, 2 min ... up to 15 min, ±20 % so retries of many devices spread out.</summary>
    private TimeSpan RetryDelay(int attempts)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Min(attempts - 1, 10));
        if (delay > MaxRetryDelay)
            delay = MaxRetryDelay;
        return delay * (0.8 + (_behaviour.NextDouble() * 0.4));
    }

    private StagingProgress? StagingSnapshot()
    {
        // A device with a plan reports its steps; without one, the older count of declared items done.
        if (_plan is not null)
            return PlanStagingSnapshot();
        if (_declarations is null)
            return null;
        var total = _declarations.Apps.Count + _declarations.Configurations.Count + _declarations.Certificates.Count;
        var current = _work.MinBy(w => w.DueAt);
        var package = current is null ? PendingPackages().FirstOrDefault() : null;
        return new StagingProgress
        {
            CompletedSteps = Math.Max(0, total - _work.Count - PendingPackages().Count()),
            TotalSteps = total,
            CurrentStep = current is not null
                ? current.LastError is null ? current.Description
                    : string.Create(CultureInfo.InvariantCulture, $"{current.Description} (attempt {current.Attempts} failed: {current.LastError})")
                : package is null ? null
                : _installFailures.TryGetValue(package.PackageName, out var failure) && failure.VersionCode == package.VersionCode
                    ? $"{Describe(package)} (failed: {failure.Message})"
                : Describe(package),
        };
    }

    /// <summary>A plausible package size, 15–120 MB, the same for the same package and version everywhere.</summary>
    private static long AppSizeBytes(string packageName, long versionCode) =>
        (15 + ((uint)Seeds.Of(packageName + ":" + versionCode.ToString(CultureInfo.InvariantCulture)) % 106)) * MiB;

    /// <summary>Download at about 4 MB/s over the site Wi-Fi, plus a few seconds to install.</summary>
    private static TimeSpan AppDuration(AppDeclaration app) =>
        TimeSpan.FromSeconds(8 + (AppSizeBytes(app.PackageName, app.VersionCode) / (4 * MiB)));

    private static string Describe(AppDeclaration app) =>
        string.Create(CultureInfo.InvariantCulture, $"install {app.PackageName} {app.VersionName} ({app.VersionCode})");

    // Test seam: the free space an install of this app needs.
    internal static long InstallSpaceNeeded(AppDeclaration app) => AppSizeBytes(app.PackageName, app.VersionCode) * 2;

    private sealed record InstalledPackage(long VersionCode, string VersionName, long SizeBytes);

    private sealed class WorkItem(string key, string description, TimeSpan duration)
    {
        public string Key { get; } = key;
        public string Description { get; } = description;
        public TimeSpan Duration { get; } = duration;
        public AppDeclaration? App { get; init; }
        public ConfigurationDeclaration? Configuration { get; init; }
        public CertificateDeclaration? Certificate { get; init; }
        public DateTimeOffset DueAt { get; set; }
        public int Attempts { get; set; }
        public string? LastError { get; set; }
    }
}
