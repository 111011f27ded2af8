using System.Globalization;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cradles;

/// <summary>The site's cradles, section <c>Edge:Cradles</c> (README "Cradles").</summary>
public sealed class CradleOptions
{
    public const string Section = EdgeOptions.Section + ":Cradles";

    /// <summary>Networked smart cradles: each logs in to the broker as itself (<c>mqtt-clients add ID --role cradle</c>).</summary>
    public IList<NetworkedCradleOptions> Networked { get; init; } = [];

    /// <summary>Cradles wired to the appliance's GPIO pins.</summary>
    public GpioCradleOptions Gpio { get; init; } = new();

    /// <summary>
    /// How old a device's report of where it is docked may be before a cradle's own "empty" overrides it (the merge
    /// rule); unset: twice <c>Edge:CheckinIntervalSeconds</c>.
    /// </summary>
    public int? DeviceReportStaleSeconds { get; set; }

    /// <summary>Every configured cradle id with its slot count, networked first.</summary>
    public IEnumerable<(string Id, int Slots, bool Gpio)> Configured() =>
        Networked.Select(n => (n.Id, n.Slots, false)).Concat(Gpio.Cradles.Select(g => (g.Id, g.Slots.Count, true)));
}

public sealed class NetworkedCradleOptions
{
    /// <summary>The cradle's id: its broker login and the topic level after <c>edgemdm/cradles/</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>How many slots it has (1–64); telemetry for a slot past this is dropped.</summary>
    public int Slots { get; set; }
}

public sealed class GpioCradleOptions
{
    public const string Libgpiod = "libgpiod";
    public const string SimulatedDriver = "simulated";

    /// <summary><c>libgpiod</c> (hardware) or <c>simulated</c> (tests, <c>make run</c>); unset with cradles: libgpiod.</summary>
    public string Driver { get; set; } = Libgpiod;

    /// <summary>The GPIO chip (<c>/dev/gpiochipN</c>) for libgpiod.</summary>
    public int Chip { get; set; }

    /// <summary>How long an occupied input must settle after an edge before its level counts.</summary>
    public int DebounceMs { get; set; } = 50;

    public IList<GpioCradle> Cradles { get; init; } = [];

    public SimulatedGpioOptions Simulated { get; init; } = new();
}

public sealed class GpioCradle
{
    public string Id { get; set; } = "";

    /// <summary>Slot 1 first.</summary>
    public IList<GpioSlotPins> Slots { get; init; } = [];
}

/// <summary>One slot's pins: an input pulled up that the slot's switch pulls low when occupied, and an LED output.</summary>
public sealed class GpioSlotPins
{
    public int Occupied { get; set; } = -1;

    public int Led { get; set; } = -1;
}

public sealed class SimulatedGpioOptions
{
    /// <summary>
    /// With the simulated driver only: a device reporting it is docked in a GPIO cradle's slot closes that slot's switch,
    /// and undocking opens it (the hardware twin of the device in the slot), so <c>make run</c> has live GPIO slots.
    /// </summary>
    public bool FollowDeviceReports { get; set; }
}

internal sealed class CradleOptionsValidator : IValidateOptions<CradleOptions>
{
    public const int MaxSlots = 64;

    public ValidateOptionsResult Validate(string? name, CradleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, slots, _) in options.Configured())
        {
            if (!MqttTopics.IsValidClientId(id))
                failures.Add($"Edge:Cradles: cradle id '{id}' {MqttTopics.ClientIdRule}");
            else if (!ids.Add(id))
                failures.Add($"Edge:Cradles: cradle id '{id}' is configured twice");
            if (slots is < 1 or > MaxSlots)
                failures.Add($"Edge:Cradles: cradle '{id}' must have 1-{MaxSlots} slots (has {slots})");
        }

        ValidateGpio(options.Gpio, failures);
        if (options.DeviceReportStaleSeconds is <= 0)
            failures.Add("Edge:Cradles:DeviceReportStaleSeconds must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateGpio(GpioCradleOptions gpio, List<string> failures)
    {
        if (gpio.Driver is not (GpioCradleOptions.Libgpiod or GpioCradleOptions.SimulatedDriver))
            failures.Add($"Edge:Cradles:Gpio:Driver must be '{GpioCradleOptions.Libgpiod}' or '{GpioCradleOptions.SimulatedDriver}' (is '{gpio.Driver}')");
        if (gpio.Simulated.FollowDeviceReports && !string.Equals(gpio.Driver, GpioCradleOptions.SimulatedDriver, StringComparison.Ordinal))
            failures.Add("Edge:Cradles:Gpio:Simulated:FollowDeviceReports needs Driver 'simulated': on hardware the slot's switch says whether it is occupied");
        if (gpio.DebounceMs is < 0 or > 10_000)
            failures.Add("Edge:Cradles:Gpio:DebounceMs must be 0-10000");
        if (gpio.Chip < 0)
            failures.Add("Edge:Cradles:Gpio:Chip must not be negative");
        var used = new Dictionary<int, string>();
        foreach (var cradle in gpio.Cradles)
        {
            for (var i = 0; i < cradle.Slots.Count; i++)
            {
                var slot = cradle.Slots[i];
                var where = $"cradle '{cradle.Id}' slot {(i + 1).ToString(CultureInfo.InvariantCulture)}";
                Pin(slot.Occupied, where + " occupied input", used, failures);
                Pin(slot.Led, where + " LED", used, failures);
            }
        }
    }

    private static void Pin(int pin, string use, Dictionary<int, string> used, List<string> failures)
    {
        if (pin < 0)
            failures.Add($"Edge:Cradles:Gpio: {use} has no pin (or a negative one: {pin})");
        else if (used.TryGetValue(pin, out var first))
            failures.Add($"Edge:Cradles:Gpio: pin {pin} is used twice: {first} and {use}");
        else
            used[pin] = use;
    }
}
