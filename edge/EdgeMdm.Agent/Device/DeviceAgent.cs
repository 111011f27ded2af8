using System.Diagnostics;
using System.Net;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Agent;

/// <summary>One request of a check-in cycle that failed; the cycle went on without it.</summary>
/// <param name="Operation"><c>checkin</c>, <c>declarations</c> or <c>result</c>.</param>
public sealed record AgentFailure(string Operation, Exception Exception)
{
    /// <summary>A stable name to count failures by: <c>checkin:503</c>, <c>result:transport</c>, <c>declarations:timeout</c>.</summary>
    public string Kind => AgentFailures.Kind(Operation, Exception);
}

/// <summary>What one check-in cycle did.</summary>
/// <param name="Sent">The status delta the check-in carried (all null: nothing changed).</param>
/// <param name="Latency">Round trip of the check-in request itself.</param>
/// <param name="NextInterval">When the appliance wants the next check-in.</param>
/// <param name="DeclarationsFetched">A new declarations document was fetched and is being carried out.</param>
/// <param name="ResultsReported">Command results the appliance accepted in this cycle.</param>
/// <param name="Failures">Requests after the check-in that failed (each retried on a later cycle).</param>
public sealed record CheckinOutcome(
    DeviceStatus Sent,
    TimeSpan Latency,
    TimeSpan NextInterval,
    string DeclarationsToken,
    bool DeclarationsFetched,
    int ResultsReported,
    IReadOnlyList<AgentFailure> Failures)
{
    /// <summary>Package install attempts made after this check-in; their results go up with the next one.</summary>
    public IReadOnlyList<PackageOutcome> Packages { get; init; } = [];

    /// <summary>Set when the appliance offered a package signing key other than the pinned one: why it was refused.</summary>
    public string? SigningKeyRefused { get; init; }

    /// <summary>The staging plan fetched in this cycle, by name (never its content); null when none was.</summary>
    public string? StagingPlanStarted { get; init; }
}

/// <summary>
/// The device side of the protocol for one <see cref="VirtualDevice"/>: check in with the status delta,
/// fetch declarations when their token changes, carry out commands and report their results.
/// </summary>
public sealed class DeviceAgent
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    private readonly DeviceApiClient _api;
    private readonly string _deviceSecret;
    private string? _keyRefusal;

    // The token of the newest set refused: not fetched again while the check-in names it (it would be refused again).
    private string? _refusedToken;
    private bool _stagingPlanAsked;

    /// <param name="trust">The site key and the set this device holds: what every set and command is verified against.</param>
    /// <param name="packages">Installs the packages the appliance serves; null for an agent that leaves them pending.</param>
    public DeviceAgent(DeviceApiClient api, VirtualDevice device, string deviceSecret, SiteTrust trust, PackageInstaller? packages = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(deviceSecret);
        ArgumentNullException.ThrowIfNull(trust);
        _api = api;
        Device = device;
        _deviceSecret = deviceSecret;
        Trust = trust;
        Packages = packages;
    }

    public VirtualDevice Device { get; }

    public SiteTrust Trust { get; }

    public PackageInstaller? Packages { get; }

    /// <summary>
    /// Whether the agent asks for its group's staging plan (once, after its first check-in) and performs it. On for a
    /// device just enrolled; a restarted agent asks again (the plan is not kept on disk: it holds secrets).
    /// </summary>
    public bool FetchesStagingPlan { get; init; } = true;

    /// <summary>The hash of a plan this device completed in an earlier run: fetched again, it is not run again.</summary>
    public string? CompletedStagingPlanHash { get; init; }

    /// <summary>
    /// Offers the appliance's package signing key (from enrollment or declarations) to the pin; a refusal is
    /// reported with the next outcome.
    /// </summary>
    public KeyOffer OfferSigningKey(string? pem)
    {
        if (Packages is null)
            return KeyOffer.None;
        var offer = Packages.Pin.Offer(pem);
        if (offer == KeyOffer.Refused)
            _keyRefusal = Packages.Pin.LastRefusal;
        return offer;
    }

    /// <summary>
    /// One check-in cycle. A failed check-in request throws (<see cref="DeviceApiException"/>,
    /// <see cref="HttpRequestException"/>, or <see cref="TaskCanceledException"/> on timeout) and leaves
    /// the delta unacknowledged, so the next cycle sends it again. Failures after a successful check-in
    /// (fetching declarations, reporting a result) do not throw: they are listed in the outcome and retried
    /// on a later cycle, because the token still differs and the appliance re-delivers the command.
    /// </summary>
    public async Task<CheckinOutcome> CheckinAsync(CancellationToken cancellationToken = default)
    {
        var status = Device.BuildStatusDelta();
        var request = new CheckinRequest { DeclarationsToken = Device.DeclarationsToken, Status = status };
        var started = Stopwatch.GetTimestamp();
        var response = await _api.CheckinAsync(_deviceSecret, request, cancellationToken);
        var latency = Stopwatch.GetElapsedTime(started);
        Device.Acknowledge();

        List<AgentFailure>? failures = null;
        var fetched = false;
        if (!string.Equals(response.DeclarationsToken, Device.DeclarationsToken, StringComparison.Ordinal)
            && !string.Equals(response.DeclarationsToken, _refusedToken, StringComparison.Ordinal))
        {
            try
            {
                fetched = await FetchDeclarationsAsync(cancellationToken);
            }
            catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
            {
                (failures ??= []).Add(new AgentFailure("declarations", e));
            }
        }

        var reported = 0;
        foreach (var command in response.Commands)
        {
            var (accepted, failure) = await CarryOutAsync(command, cancellationToken);
            if (accepted)
                reported++;
            if (failure is not null)
                (failures ??= []).Add(failure);
        }

        var planStarted = await FetchStagingPlanOnceAsync(failures ??= [], cancellationToken);

        var packages = Packages is null ? [] : await Packages.InstallDueAsync(Device, cancellationToken);
        var keyRefusal = _keyRefusal;
        _keyRefusal = null;

        var interval = TimeSpan.FromSeconds(response.CheckinIntervalSeconds);
        // While a staging step is due to change, check in when it does: staging runs at the pace of its steps.
        if (Device.StagingRun.NextChangeIn is { } stagingDue && stagingDue < interval)
            interval = stagingDue;
        return new CheckinOutcome(
            status,
            latency,
            interval < MinInterval ? MinInterval : interval,
            response.DeclarationsToken,
            fetched,
            reported,
            failures)
        {
            Packages = packages,
            SigningKeyRefused = keyRefusal,
            StagingPlanStarted = planStarted,
        };
    }

    /// <summary>
    /// Fetches the group's plan once and starts it; returns its name, or null when there was nothing to fetch or the
    /// group has none (404). A refusal (quarantined, malformed plan) would only repeat and is not asked again; any
    /// other failure is, on the next cycle.
    /// </summary>
    private async Task<string?> FetchStagingPlanOnceAsync(List<AgentFailure> failures, CancellationToken cancellationToken)
    {
        if (!FetchesStagingPlan || _stagingPlanAsked)
            return null;
        try
        {
            var plan = await _api.GetStagingPlanAsync(_deviceSecret, cancellationToken);
            _stagingPlanAsked = true;
            if (plan is null || string.Equals(plan.ContentHash(), CompletedStagingPlanHash, StringComparison.Ordinal))
                return null;
            Device.StagingRun.Start(plan);
            return plan.Name;
        }
        catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
        {
            _stagingPlanAsked = e is DeviceApiException { IsPermanent: true };
            failures.Add(new AgentFailure("staging-plan", e));
            return null;
        }
    }

    /// <summary>
    /// For an agent that restarts holding <paramref name="heldToken"/>: fetches the current declarations and
    /// takes them as already carried out when they are the ones held, or as new ones otherwise. Returns
    /// false when there was nothing to restore.
    /// </summary>
    public async Task<bool> RestoreAsync(string? heldToken, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(heldToken))
            return false;
        var document = await _api.GetDeclarationsAsync(_deviceSecret, ifNoneMatchToken: null, cancellationToken);
        if (document is null)
            return false;
        Verify(document);
        OfferSigningKey(document.PackageSigningKey);
        if (string.Equals(document.Token, heldToken, StringComparison.Ordinal))
            Device.RestoreDeclarations(document);
        else
            Device.ApplyDeclarations(document);
        return true;
    }

    /// <summary>
    /// Takes <paramref name="document"/> as the set this device holds when its signature, signer, device and version pass
    /// (<see cref="SiteTrust"/>); otherwise records the refusal for the site to see (the next check-in's status) and throws
    /// <see cref="SignatureRefusedException"/>: the device keeps running the set it verified last.
    /// </summary>
    private void Verify(DeclarationsDocument document)
    {
        var verdict = Trust.Check(document);
        if (verdict.Refusal is { } refusal)
        {
            // Fetched again only after a rollback: the refusal this device reports (with the version it holds) is what lets
            // an appliance whose edge.db was restored from an older copy go on above that version. Any other refusal would repeat.
            _refusedToken = refusal == SignedStateRefusal.Rollback ? null : document.Token;
            Device.RecordDeclarationsVerification(new DeclarationsVerification
            {
                HeldVersion = Trust.Held?.Version, Refusal = refusal.ToWire(), RefusedVersion = document.Version, Message = verdict.Message,
            });
            throw new SignatureRefusedException("declarations refused: " + verdict.Message + "; keeping the declarations verified before");
        }

        Trust.Accept(verdict);
        _refusedToken = null;
        Device.RecordDeclarationsVerification(new DeclarationsVerification { HeldVersion = verdict.Held!.Version });
    }

    private async Task<bool> FetchDeclarationsAsync(CancellationToken cancellationToken)
    {
        // 304 (null) means the token the device holds is current after all, e.g. the declarations changed
        // back between the check-in and this request.
        var document = await _api.GetDeclarationsAsync(_deviceSecret, Device.DeclarationsToken, cancellationToken);
        if (document is null)
            return false;
        Verify(document);
        OfferSigningKey(document.PackageSigningKey);
        Device.ApplyDeclarations(document);
        return true;
    }

    /// <summary>
    /// Carries out a command (once per id) and reports its result. Accepted is false both when there was
    /// nothing to send (already reported) and when sending failed; only the latter has a failure.
    /// </summary>
    private async Task<(bool Accepted, AgentFailure? Failure)> CarryOutAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(command.Id))
            return (false, null);
        // A command the site did not sign for this device is never carried out: it is reported failed, saying why.
        var refusal = Trust.WhyRefused(command);
        var result = refusal is null ? Device.Commands.Execute(command) : Device.RefuseCommand(command, refusal);
        if (result is null)
            return (false, null);
        var refused = refusal is null ? null : new AgentFailure("command", new SignatureRefusedException($"command {command.Id} {command.Type} {refusal}"));
        try
        {
            await _api.ReportCommandResultAsync(_deviceSecret, command.Id, result, cancellationToken);
            Device.Commands.MarkResultReported(command.Id);
            return (true, refused);
        }
        catch (DeviceApiException e) when (e.IsPermanent && e.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
        {
            // The appliance will never take this result (unknown command, result already recorded...):
            // sending it again would fail the same way.
            Device.Commands.MarkResultReported(command.Id);
            return (false, new AgentFailure("result", e));
        }
        catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
        {
            return (false, new AgentFailure("result", e));
        }
    }
}

/// <summary>Which exceptions are a failed exchange with the appliance, and how to name them.</summary>
public static class AgentFailures
{
    /// <summary>
    /// True for what a request to the appliance can fail with: an error answer, a transport failure, a
    /// timeout, an answer whose signature the device refused. False for a cancellation the caller asked for, and for bugs.
    /// </summary>
    public static bool IsRequestFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        DeviceApiException or HttpRequestException or IOException or SignatureRefusedException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    public static string Kind(string operation, Exception exception) => exception switch
    {
        DeviceApiException api => operation + ":" + ((int)api.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
        OperationCanceledException => operation + ":timeout",
        SignatureRefusedException => operation + ":refused",
        _ => operation + ":transport",
    };

    /// <summary>One line for a person: the problem details, or the transport error and its cause.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = exception switch
        {
            DeviceApiException => exception.Message,
            OperationCanceledException => "no answer in time (timed out)",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } tls => Tls(tls),
            HttpRequestException { InnerException: { } inner } when !exception.Message.Contains(inner.Message, StringComparison.Ordinal) =>
                exception.Message + " (" + inner.Message + ")",
            _ => exception.Message,
        };
        return text.ReplaceLineEndings(" ");
    }

    /// <summary>A failed TLS handshake, named by its certificate problem, with what a site does about it.</summary>
    private static string Tls(HttpRequestException exception)
    {
        var problem = exception.InnerException?.Message ?? exception.Message;
        return problem.Contains("pinned", StringComparison.Ordinal)
            ? "TLS refused: " + problem + " (not the appliance this device was given; check --pin against 'edgemdm-edge tls show')"
            : "TLS refused: " + problem + " (an appliance with its own site certificate is trusted with --pin HEX, printed by 'edgemdm-edge tls show')";
    }
}
