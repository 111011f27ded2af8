using EdgeMdm.Domain.Floor;

namespace EdgeMdm.Domain.Tests.Cradles;

/// <summary>Every branch of the merge rule (README "Cradles"), one conflict at a time.</summary>
public sealed class SlotMergeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Staleness = TimeSpan.FromMinutes(2);

    [Fact]
    public void No_observation_is_no_slot() =>
        Assert.Null(SlotMerge.Merge([], Now, Staleness));

    [Fact]
    public void Newest_observation_wins_whatever_its_source()
    {
        var merged = Merge(Gpio(SlotHolding.Empty, ago: 60), Mqtt(SlotHolding.Battery, "BAT-1", 40, ago: 10), Device("S1", 80, ago: 30));

        Assert.Equal(SlotHolding.Battery, merged.Holding);
        Assert.Equal(SlotSource.Mqtt, merged.Source);
        Assert.Equal("BAT-1", merged.Serial);
        Assert.Equal(40, merged.ChargePercent);
    }

    [Fact]
    public void A_fresh_device_report_newer_than_the_switch_wins()
    {
        var merged = Merge(Gpio(SlotHolding.Empty, ago: 60), Device("S1", 80, ago: 5));

        Assert.Equal(SlotHolding.Device, merged.Holding);
        Assert.Equal(SlotSource.Device, merged.Source);
        Assert.Equal("S1", merged.Serial);
    }

    [Fact]
    public void A_gpio_empty_beats_a_stale_device_report_even_when_older()
    {
        var merged = Merge(Gpio(SlotHolding.Empty, ago: 600), Device("S1", 80, ago: 121));

        Assert.Equal(SlotHolding.Empty, merged.Holding);
        Assert.Equal(SlotSource.Gpio, merged.Source);
        Assert.Null(merged.Serial);
        Assert.Null(merged.ChargePercent);
    }

    [Fact]
    public void A_cradle_telemetry_empty_beats_a_stale_device_report_too()
    {
        var merged = Merge(Mqtt(SlotHolding.Empty, null, null, ago: 600), Device("S1", 80, ago: 121));

        Assert.Equal(SlotHolding.Empty, merged.Holding);
        Assert.Equal(SlotSource.Mqtt, merged.Source);
    }

    [Fact]
    public void A_report_exactly_at_the_staleness_is_still_fresh()
    {
        var merged = Merge(Gpio(SlotHolding.Empty, ago: 600), Device("S1", 80, ago: 120));

        Assert.Equal(SlotHolding.Device, merged.Holding);
    }

    [Fact]
    public void A_stale_device_report_with_no_sensor_saying_empty_still_stands()
    {
        var merged = Merge(Device("S1", 80, ago: 3600));

        Assert.Equal(SlotHolding.Device, merged.Holding);
        Assert.Equal(Now.AddHours(-1), merged.ObservedAt);
    }

    [Fact]
    public void A_stale_device_report_newer_than_an_occupied_switch_keeps_the_slot_occupied()
    {
        var merged = Merge(Gpio(SlotHolding.Device, ago: 7200), Device("S1", 80, ago: 3600));

        Assert.Equal(SlotHolding.Device, merged.Holding);
        Assert.Equal(SlotSource.Device, merged.Source);
    }

    [Fact]
    public void An_occupied_switch_takes_serial_and_charge_from_a_fresh_device_report()
    {
        var merged = Merge(Gpio(SlotHolding.Device, ago: 1), Device("S1", 64, ago: 30));

        Assert.Equal(SlotSource.Gpio, merged.Source);
        Assert.Equal("S1", merged.Serial);
        Assert.Equal(64, merged.ChargePercent);
        Assert.True(merged.Charging);
    }

    [Fact]
    public void An_occupied_switch_does_not_take_the_serial_of_a_stale_device_report()
    {
        var merged = Merge(Gpio(SlotHolding.Device, ago: 1), Device("S1", 64, ago: 300));

        Assert.Equal(SlotHolding.Device, merged.Holding);
        Assert.Null(merged.Serial);
        Assert.Null(merged.ChargePercent);
    }

    [Fact]
    public void A_battery_in_a_smart_cradle_does_not_take_a_device_reports_serial()
    {
        var merged = Merge(Mqtt(SlotHolding.Battery, null, 55, ago: 1), Device("S1", 64, ago: 30));

        Assert.Equal(SlotHolding.Battery, merged.Holding);
        Assert.Null(merged.Serial);
        Assert.Equal(55, merged.ChargePercent);
    }

    [Fact]
    public void The_cradles_own_serial_and_charge_win_over_a_device_report()
    {
        var merged = Merge(Mqtt(SlotHolding.Device, "S2", 90, ago: 1), Device("S1", 64, ago: 30));

        Assert.Equal("S2", merged.Serial);
        Assert.Equal(90, merged.ChargePercent);
    }

    [Fact]
    public void At_the_same_instant_gpio_beats_mqtt_beats_a_device_report()
    {
        Assert.Equal(SlotSource.Gpio, Merge(Device("S1", 1, ago: 5), Mqtt(SlotHolding.Battery, "B", 1, ago: 5), Gpio(SlotHolding.Empty, ago: 5)).Source);
        Assert.Equal(SlotSource.Mqtt, Merge(Device("S1", 1, ago: 5), Mqtt(SlotHolding.Battery, "B", 1, ago: 5)).Source);
    }

    [Fact]
    public void An_empty_winner_keeps_its_fault()
    {
        var merged = Merge(new SlotObservation(SlotSource.Mqtt, SlotHolding.Empty, null, null, null, "contact", Now));

        Assert.Equal("contact", merged.Fault);
    }

    [Fact]
    public void Only_device_reports_go_stale()
    {
        Assert.False(SlotMerge.IsStale(Gpio(SlotHolding.Empty, ago: 100_000), Now, Staleness));
        Assert.True(SlotMerge.IsStale(Device("S", 1, ago: 121), Now, Staleness));
    }

    private static MergedSlot Merge(params SlotObservation[] observations) => SlotMerge.Merge(observations, Now, Staleness)!;

    private static SlotObservation Gpio(SlotHolding holding, int ago) =>
        new(SlotSource.Gpio, holding, null, null, null, null, Now.AddSeconds(-ago));

    private static SlotObservation Mqtt(SlotHolding holding, string? serial, int? charge, int ago) =>
        new(SlotSource.Mqtt, holding, serial, charge, charge is null ? null : true, null, Now.AddSeconds(-ago));

    private static SlotObservation Device(string serial, int charge, int ago) =>
        new(SlotSource.Device, SlotHolding.Device, serial, charge, true, null, Now.AddSeconds(-ago));
}
