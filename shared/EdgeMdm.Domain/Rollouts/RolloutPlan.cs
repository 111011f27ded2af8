using System.Globalization;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Rollouts;

/// <summary>
/// How a new app version reaches a fleet: in waves, each opened only when the one before it has settled,
/// halted automatically when a wave fails too often, and installed only inside a maintenance window if
/// one is set. The plan is data; <see cref="WaveAssignment"/>, <see cref="RolloutProgress"/> and
/// <see cref="RolloutGate"/> are the rules that read it.
/// </summary>
/// <param name="Waves">
/// In order. Pilot waves come first, then cumulative percentages of the devices no pilot wave took, strictly
/// increasing and ending at 100, so every device is in exactly one wave: pilot "pilots", then 10, 50, 100.
/// </param>
/// <param name="Halt">When failures stop the rollout.</param>
/// <param name="Window">When installs may happen, in site-local time; null = at any time.</param>
/// <param name="WaveAdvanceShare">
/// Share of a wave's devices that must be settled (installed, failed or incompatible) before the next wave
/// opens, from 0 (exclusive) to 1; stragglers (<paramref name="StragglerAfter"/>) are left out of the count, so a
/// scanner left in a drawer never holds a wave. 0.95 by default: a large wave does not wait for its last few
/// devices, and <paramref name="WaveTimeLimit"/> bounds the wait of a small one.
/// </param>
/// <param name="PilotGroups">
/// Named lists of device serial numbers a pilot wave can name (<c>floor-leads: [SN-0001, SN-0007]</c>): the devices
/// that take a version first, whatever blueprint group they are in. A pilot wave may also name a device group.
/// </param>
/// <param name="WaveTimeLimit">
/// The longest a wave holds the next one: wave N + 1 opens at the latest N × this after the rollout started,
/// settled or not (so every wave has at least this long). Null = <see cref="DefaultWaveTimeLimit"/>; null rather
/// than the value so that a plan written before time limits keeps its content hash.
/// </param>
/// <param name="StragglerAfter">
/// A device of an open wave silent for longer than this (or, never seen, since the rollout started) is a straggler:
/// it stays offered the version (chased) but its wave no longer waits for it. Devices of waves not open yet are never
/// stragglers. Null = <see cref="DefaultStragglerAfter"/>.
/// </param>
public sealed record RolloutPlan(
    IReadOnlyList<RolloutWave> Waves,
    HaltPolicy Halt,
    MaintenanceWindow? Window,
    decimal WaveAdvanceShare = RolloutPlan.DefaultWaveAdvanceShare,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, IReadOnlyList<string>>? PilotGroups = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TimeSpan? WaveTimeLimit = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TimeSpan? StragglerAfter = null)
{
    /// <summary>What <see cref="WaveAdvanceShare"/> is when a plan does not say: 95 %.</summary>
    public const decimal DefaultWaveAdvanceShare = 0.95m;

    /// <summary>What <see cref="WaveTimeLimit"/> is when a plan does not say: 1 hour, so the default 3 waves are all open within 2 hours.</summary>
    public static readonly TimeSpan DefaultWaveTimeLimit = TimeSpan.FromHours(1);

    /// <summary>
    /// What <see cref="StragglerAfter"/> is when a plan does not say: 15 minutes, a quarter of an hour without a check-in from a
    /// device that checks in every minute and is woken at once when its wave opens.
    /// </summary>
    public static readonly TimeSpan DefaultStragglerAfter = TimeSpan.FromMinutes(15);

    /// <summary>Shortest and longest <see cref="WaveTimeLimit"/> and <see cref="StragglerAfter"/>: seconds for a demo, a month at most.</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    // Methods, not properties, so that serializing the record never writes them.
    public TimeSpan TimeLimitPerWave() => WaveTimeLimit ?? DefaultWaveTimeLimit;

    public TimeSpan StragglerSilence() => StragglerAfter ?? DefaultStragglerAfter;

    /// <summary>Most serial numbers all pilot groups of a plan may list together: a pilot is a handful of devices, not a fleet.</summary>
    public const int MaxPilotDevices = 1000;

    /// <summary>What a blueprint change rolls out with when central IT names no plan: 10 %, 50 %, 100 %, default halt, any time.</summary>
    public static RolloutPlan Default { get; } = new([new PercentageWave(10), new PercentageWave(50), new PercentageWave(100)], HaltPolicy.Default, Window: null);

    /// <summary>Errors keyed by the field they name (<c>waves[1].cumulativePercent</c>, <c>window.timeZoneId</c>); empty when valid.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new FieldErrors();
        ValidateWaves(errors);
        if (Halt is null)
        {
            errors.Add("halt", "is required");
        }
        else
        {
            if (Halt.FailureRateThreshold is < 0m or > 1m)
                errors.Add("halt.failureRateThreshold", "must be between 0 and 1 (0.2 halts when more than 20 % of a wave's finished installs failed)");
            if (Halt.MinFinishedDevices < 1)
                errors.Add("halt.minFinishedDevices", "must be 1 or more");
        }

        ValidatePilotGroups(errors);
        Window?.Validate(errors);
        if (WaveAdvanceShare is <= 0m or > 1m)
            errors.Add("waveAdvanceShare", "must be more than 0 and at most 1");
        ValidateDuration(errors, "waveTimeLimit", WaveTimeLimit);
        ValidateDuration(errors, "stragglerAfter", StragglerAfter);
        return errors.ToDictionary();
    }

    // A method, not a property, so that serializing the record never writes an "isValid" member.
    public bool IsValid() => Validate().Count == 0;

    /// <summary>
    /// The groups a device is in for this plan's pilot waves: its blueprint group and every pilot group listing its
    /// serial number. The hub and the site both call this, so both put a device in the same wave.
    /// </summary>
    public IReadOnlyCollection<string> GroupsOf(string deviceGroup, string? serialNumber)
    {
        ArgumentNullException.ThrowIfNull(deviceGroup);
        if (PilotGroups is null || string.IsNullOrEmpty(serialNumber))
            return [deviceGroup];
        return [deviceGroup, .. PilotGroups.Where(g => g.Value.Contains(serialNumber, StringComparer.Ordinal)).Select(g => g.Key)];
    }

    /// <summary>The same plan with its pilot groups in name order and each list sorted and without repeats: what a content hash reads.</summary>
    public RolloutPlan Normalized() =>
        PilotGroups is null
            ? this
            : this with
            {
                PilotGroups = new SortedDictionary<string, IReadOnlyList<string>>(
                    PilotGroups.ToDictionary(g => g.Key, g => (IReadOnlyList<string>)(g.Value ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal),
                    StringComparer.Ordinal),
            };

    private static void ValidateDuration(FieldErrors errors, string field, TimeSpan? value)
    {
        if (value is { } duration && (duration < MinDuration || duration > MaxDuration))
            errors.Add(field, "must be between 1s and 30d (a duration such as 45m or 2h)");
    }

    private void ValidatePilotGroups(FieldErrors errors)
    {
        if (PilotGroups is null)
            return;
        var named = (Waves ?? []).OfType<PilotWave>().Select(w => w.Group).ToHashSet(StringComparer.Ordinal);
        var total = 0;
        foreach (var (name, serials) in PilotGroups)
        {
            var at = $"pilotGroups.{name}";
            if (!IsGroupName(name))
                errors.Add(at, "a pilot group's name must be 1-64 letters, digits, '-', '_' or '.'");
            else if (!named.Contains(name))
                errors.Add(at, "is not named by any pilot wave");
            if (serials is null || serials.Count == 0)
            {
                errors.Add(at, "must list at least one device serial number");
                continue;
            }

            total += serials.Count;
            for (var i = 0; i < serials.Count; i++)
            {
                if (serials[i] is not { Length: > 0 and <= 64 } serial || serial.Any(char.IsWhiteSpace))
                    errors.Add($"{at}[{i.ToString(CultureInfo.InvariantCulture)}]", "must be a serial number of 1-64 characters without spaces");
            }
        }

        if (total > MaxPilotDevices)
            errors.Add("pilotGroups", $"lists {total.ToString(CultureInfo.InvariantCulture)} devices; at most {MaxPilotDevices.ToString(CultureInfo.InvariantCulture)} (a pilot is a handful of devices; use percentage waves for the rest)");
    }

    private void ValidateWaves(FieldErrors errors)
    {
        if (Waves is null || Waves.Count == 0)
        {
            errors.Add("waves", "needs at least one wave, the last one 100 %");
            return;
        }

        var pilotGroups = new HashSet<string>(StringComparer.Ordinal);
        var previousPercent = 0;
        var seenPercentage = false;
        for (var i = 0; i < Waves.Count; i++)
        {
            var at = $"waves[{i.ToString(CultureInfo.InvariantCulture)}]";
            switch (Waves[i])
            {
                case PilotWave pilot:
                    if (seenPercentage)
                        errors.Add(at, "a pilot wave must come before every percentage wave");
                    if (!IsGroupName(pilot.Group))
                        errors.Add(at + ".group", "must be 1-64 letters, digits, '-', '_' or '.'");
                    else if (!pilotGroups.Add(pilot.Group))
                        errors.Add(at + ".group", $"'{pilot.Group}' is already an earlier pilot wave");
                    break;
                case PercentageWave percentage:
                    seenPercentage = true;
                    if (percentage.CumulativePercent is < 1 or > 100)
                        errors.Add(at + ".cumulativePercent", "must be between 1 and 100");
                    else if (percentage.CumulativePercent <= previousPercent)
                        errors.Add(at + ".cumulativePercent", $"must be more than the previous wave's {previousPercent.ToString(CultureInfo.InvariantCulture)} (percentages are cumulative)");
                    else
                        previousPercent = percentage.CumulativePercent;
                    break;
                default:
                    errors.Add(at, "must be a pilot group or a cumulative percentage");
                    break;
            }
        }

        if (Waves[^1] is not PercentageWave { CumulativePercent: 100 })
            errors.Add("waves", "the last wave must be 100 % so that every device gets the version");
    }

    // The same rule as the hub's group names: waves name the groups devices already belong to.
    private static bool IsGroupName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

/// <summary>One step of a rollout. In JSON (blueprints on the wire): <c>{"kind":"pilot","group":"pilots"}</c> or <c>{"kind":"percentage","cumulativePercent":10}</c>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(PilotWave), "pilot")]
[JsonDerivedType(typeof(PercentageWave), "percentage")]
public abstract record RolloutWave;

/// <summary>Every device in the named group (one of the plan's <see cref="RolloutPlan.PilotGroups"/> or a device group), whatever its hash.</summary>
public sealed record PilotWave(string Group) : RolloutWave;

/// <summary>
/// Devices that no pilot wave took whose stable hash falls below this share, minus those of the earlier
/// percentage waves: 10 then 50 means the first 10 %, then the next 40 %.
/// </summary>
public sealed record PercentageWave(int CumulativePercent) : RolloutWave;

/// <summary>
/// Halts the rollout when more than <paramref name="FailureRateThreshold"/> of a wave's finished installs
/// (installed + failed; incompatible devices were never offered and do not count) failed, once at least
/// <paramref name="MinFinishedDevices"/> have finished, so one failure out of two does not stop a fleet.
/// "More than" makes the ends mean what they say: 0 halts on the first failure, 1 never halts.
/// </summary>
public sealed record HaltPolicy(decimal FailureRateThreshold, int MinFinishedDevices)
{
    public static HaltPolicy Default { get; } = new(0.2m, 5);
}

/// <summary>
/// When installs may happen, in the site's wall-clock time: <paramref name="Start"/> inclusive to
/// <paramref name="End"/> exclusive, crossing midnight when End is earlier than Start (22:00–05:00). Wall-clock
/// on purpose: on a DST change day a 22:00–05:00 window is an hour shorter or longer, because the night shift
/// works by the clock on the wall. The hub holds one plan for many sites; it gives each site's window that
/// site's zone (<c>window with { TimeZoneId = site.TimeZoneId }</c>).
/// </summary>
/// <param name="TimeZoneId">IANA id, <c>Europe/Berlin</c>; an unknown id is a validation error.</param>
public sealed record MaintenanceWindow(string TimeZoneId, TimeOnly Start, TimeOnly End)
{
    /// <summary>
    /// Whether <paramref name="instant"/> falls inside the window in the zone's local time. Throws
    /// <see cref="ArgumentException"/> for an unknown zone: validate the plan first.
    /// </summary>
    public bool IsOpen(DateTimeOffset instant)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZoneId ?? "", out var zone))
            throw new ArgumentException($"unknown time zone '{TimeZoneId}'", nameof(instant));
        var local = TimeOnly.FromTimeSpan(TimeZoneInfo.ConvertTime(instant, zone).TimeOfDay);
        return Start < End
            ? local >= Start && local < End
            : local >= Start || local < End;
    }

    internal void Validate(FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(TimeZoneId) || !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZoneId, out _))
            errors.Add("window.timeZoneId", "must be an IANA time zone id such as Europe/Berlin");
        // Equal ends could mean "never" or "always"; neither needs a window, so neither is guessed.
        if (Start == End)
            errors.Add("window.end", "must differ from window.start (leave the window out to allow any time)");
    }
}
