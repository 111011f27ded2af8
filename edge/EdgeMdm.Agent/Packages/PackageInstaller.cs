using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Agent;

public enum PackageStepResult
{
    Installed,

    /// <summary>Failed with a reason the device reports; retried on <see cref="RetryPolicy"/>'s schedule.</summary>
    Failed,

    /// <summary>The site has not cached the package yet (503): tried again after its Retry-After, no failure counted.</summary>
    NotYetAvailable,
}

/// <summary>What one attempt at one declared package did.</summary>
/// <param name="Downloaded">Body bytes fetched from the appliance by this attempt (0: none, e.g. a retry from the kept file).</param>
/// <param name="Reason">For <see cref="PackageStepResult.Failed"/>: the reason the device reports.</param>
public sealed record PackageOutcome(
    string PackageName,
    long VersionCode,
    PackageStepResult Result,
    InstallFailureReason? Reason,
    string Message,
    long Downloaded)
{
    /// <summary>For <see cref="PackageStepResult.NotYetAvailable"/>: when the appliance asked to be tried again.</summary>
    public TimeSpan RetryAfter { get; init; }
}

/// <summary>
/// Installs the packages a device's declarations name and it does not run: checks the OS against the
/// package's minimum, verifies the manifest's signature against the pinned key, downloads the file from the
/// appliance (resuming a cut download), checks its size and SHA-256, then installs it on the device. Each
/// failure is recorded on the device with its reason (reported in the next check-in) and retried on the
/// <see cref="RetryPolicy"/> schedule, from the verified file when one was kept: a retry never downloads a
/// verified file again.
/// </summary>
/// <remarks>Not thread-safe: one agent loop drives one installer and its device.</remarks>
public sealed class PackageInstaller
{
    private readonly DeviceApiClient _api;
    private readonly string _deviceSecret;
    private readonly PackageFiles _files;
    private readonly RetryPolicy _retryPolicy;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Schedule> _schedules = new(StringComparer.Ordinal);

    // Files this device downloaded and verified itself: in the simulator's shared directory, another
    // device's copy does not spare this device its own download.
    private readonly HashSet<string> _verifiedHere = new(StringComparer.Ordinal);

    public PackageInstaller(DeviceApiClient api, string deviceSecret, PackageFiles files, SigningKeyPin pin, TimeProvider timeProvider, RetryPolicy? retryPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrEmpty(deviceSecret);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(pin);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _api = api;
        _deviceSecret = deviceSecret;
        _files = files;
        Pin = pin;
        _time = timeProvider;
        _retryPolicy = retryPolicy ?? RetryPolicy.Default;
        if (_retryPolicy.Validate().Count > 0)
            throw new ArgumentException("the retry policy is invalid", nameof(retryPolicy));
    }

    public SigningKeyPin Pin { get; }

    /// <summary>
    /// One attempt at every package that is due (never tried for this version, or its retry time has come).
    /// Request failures become <c>download_failed</c> outcomes; only the caller's cancellation throws.
    /// </summary>
    public async Task<IReadOnlyList<PackageOutcome>> InstallDueAsync(VirtualDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var wanted = device.PackagesToInstall;
        foreach (var stale in _schedules.Keys.Where(name => !wanted.Any(a => string.Equals(a.PackageName, name, StringComparison.Ordinal))).ToList())
            _schedules.Remove(stale);

        List<PackageOutcome>? outcomes = null;
        foreach (var app in wanted)
        {
            var schedule = ScheduleFor(app);
            if (schedule.NextAttemptAt > _time.GetUtcNow())
                continue;
            var outcome = await AttemptAsync(device, app, app.Package!, cancellationToken);
            Record(device, app, schedule, outcome);
            (outcomes ??= []).Add(outcome);
        }

        return outcomes ?? (IReadOnlyList<PackageOutcome>)[];
    }

    /// <summary>When the package is tried next; null when it is not scheduled (installed, or never tried).</summary>
    public DateTimeOffset? NextAttemptAt(string packageName) =>
        _schedules.TryGetValue(packageName, out var schedule) && schedule.NextAttemptAt != DateTimeOffset.MinValue ? schedule.NextAttemptAt : null;

    private Schedule ScheduleFor(AppDeclaration app)
    {
        // A new version or another file for the same version starts a fresh schedule: attempts are per target.
        if (!_schedules.TryGetValue(app.PackageName, out var schedule) || schedule.VersionCode != app.VersionCode || !string.Equals(schedule.Sha256, app.Package!.Sha256, StringComparison.Ordinal))
            _schedules[app.PackageName] = schedule = new Schedule(app.VersionCode, app.Package!.Sha256);
        return schedule;
    }

    private void Record(VirtualDevice device, AppDeclaration app, Schedule schedule, PackageOutcome outcome)
    {
        var now = _time.GetUtcNow();
        switch (outcome.Result)
        {
            case PackageStepResult.Installed:
                _schedules.Remove(app.PackageName);
                break;
            case PackageStepResult.NotYetAvailable:
                schedule.NextAttemptAt = now + outcome.RetryAfter;
                break;
            default:
                var reason = outcome.Reason ?? InstallFailureReason.Other;
                schedule.Failures++;
                // Attempts used up, or not worth retrying: wait for the next declaration of this package.
                schedule.NextAttemptAt = _retryPolicy.NextAttemptAt(schedule.Failures, now, reason) ?? DateTimeOffset.MaxValue;
                device.RecordInstallFailure(app, reason, outcome.Message);
                break;
        }
    }

    private async Task<PackageOutcome> AttemptAsync(VirtualDevice device, AppDeclaration app, AppPackage package, CancellationToken cancellationToken)
    {
        var manifest = new PackageManifest(package.Sha256, app.PackageName, app.VersionCode, app.VersionName, package.SizeBytes, package.MinOsVersion, package.PublishedAt);

        // The appliance should never offer a package the OS cannot run; installing it anyway could leave the
        // device without a working app, so the agent checks again.
        if (RolloutTarget.Of(manifest).CompatibilityWith(device.OsVersion) == OsCompatibility.Incompatible)
            return Failed(app, InstallFailureReason.Incompatible, $"needs OS {package.MinOsVersion} or later, the device runs {device.OsVersion}");

        if (Pin.Verifier is not { } verifier)
            return Failed(app, InstallFailureReason.SignatureBad, "no package signing key pinned yet: the appliance has not sent the hub's key, so the package cannot be verified");
        if (!verifier.Verify(new SignedManifest(manifest, package.Signature)))
            return Failed(app, InstallFailureReason.SignatureBad, $"the package manifest's signature does not verify against the pinned key {verifier.KeyId[..16]}…");

        long downloaded = 0;
        try
        {
            if (NeedsDownload(package.Sha256))
            {
                _files.EnsureDirectories();
                var download = await _api.DownloadPackageAsync(_deviceSecret, package.DownloadPath, package.Sha256, package.SizeBytes, _files.PartPath(package.Sha256), cancellationToken);
                if (download.Status == PackageDownloadStatus.NotYetAvailable)
                    return new PackageOutcome(app.PackageName, app.VersionCode, PackageStepResult.NotYetAvailable, null, string.Create(CultureInfo.InvariantCulture, $"not cached at the site yet; trying again in {download.RetryAfter.TotalSeconds:0} s"), Downloaded: 0)
                    {
                        RetryAfter = download.RetryAfter,
                    };
                downloaded = download.BytesReceived;
                if (await MismatchAsync(_files.PartPath(package.Sha256), manifest, cancellationToken) is { } mismatch)
                {
                    _files.Discard(package.Sha256);
                    return Failed(app, InstallFailureReason.SignatureBad, "the downloaded file " + mismatch, downloaded);
                }

                _files.Promote(package.Sha256);
                _verifiedHere.Add(package.Sha256);
            }
            else if (await MismatchAsync(_files.VerifiedPath(package.Sha256), manifest, cancellationToken) is { } mismatch)
            {
                // Kept from an earlier attempt and changed since: checked again because it sat on disk.
                _files.Discard(package.Sha256);
                _verifiedHere.Remove(package.Sha256);
                return Failed(app, InstallFailureReason.SignatureBad, "the kept package file " + mismatch);
            }
        }
        catch (PackageTooLargeException e)
        {
            return Failed(app, InstallFailureReason.SignatureBad, e.Message, downloaded);
        }
        catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken) || e is UnauthorizedAccessException)
        {
            return Failed(app, InstallFailureReason.DownloadFailed, "download failed: " + AgentFailures.Describe(e), downloaded);
        }

        if (!device.TryInstallPackage(app, package.SizeBytes, out var refusal))
            return Failed(app, InstallFailureReason.StorageFull, refusal, downloaded);
        _files.Installed(package.Sha256);
        return new PackageOutcome(app.PackageName, app.VersionCode, PackageStepResult.Installed, null, "installed " + Describe(app), downloaded);
    }

    /// <summary>A device downloads unless it holds a file it verified: its own, or one left in its own directory by an earlier run.</summary>
    private bool NeedsDownload(string sha256) =>
        !_files.HasVerified(sha256) || (!_verifiedHere.Contains(sha256) && _files.KeepAfterInstall);

    private static async Task<string?> MismatchAsync(string path, PackageManifest manifest, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, useAsync: true);
        BlobCheck check;
        await using (file)
            check = await PackageBlob.CheckAsync(file, manifest, cancellationToken);
        return check.Mismatch switch
        {
            BlobMismatch.None => null,
            BlobMismatch.SizeMismatch => string.Create(CultureInfo.InvariantCulture, $"is {check.Actual.SizeBytes} bytes, the signed manifest says {manifest.SizeBytes}"),
            _ => $"has SHA-256 {check.Actual.Sha256[..16]}…, the signed manifest says {manifest.Sha256[..16]}…",
        };
    }

    private static PackageOutcome Failed(AppDeclaration app, InstallFailureReason reason, string message, long downloaded = 0) =>
        new(app.PackageName, app.VersionCode, PackageStepResult.Failed, reason, message, downloaded);

    private static string Describe(AppDeclaration app) =>
        string.Create(CultureInfo.InvariantCulture, $"{app.PackageName} {app.VersionName} ({app.VersionCode})");

    private sealed class Schedule(long versionCode, string sha256)
    {
        public long VersionCode { get; } = versionCode;
        public string Sha256 { get; } = sha256;
        public int Failures { get; set; }
        public DateTimeOffset NextAttemptAt { get; set; } = DateTimeOffset.MinValue;
    }
}
