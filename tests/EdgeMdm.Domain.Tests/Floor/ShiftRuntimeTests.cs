using EdgeMdm.Domain.Floor;

namespace EdgeMdm.Domain.Tests.Floor;

public sealed class ShiftRuntimeTests
{
    private static readonly TimeSpan Eight = TimeSpan.FromHours(8);

    [Fact]
    public void A_charge_that_lasts_less_than_the_shift_falls_short()
    {
        var forecast = ShiftRuntime.Predict(60, charging: false, null, null, drainPerHour: 10, TimeSpan.FromMinutes(30), Eight);

        Assert.Equal(new RuntimeForecast(60, TimeSpan.FromHours(6), FallsShort: true), forecast);
    }

    [Fact]
    public void A_battery_full_before_the_shift_starts_counts_as_full()
    {
        var forecast = ShiftRuntime.Predict(60, charging: true, TimeSpan.FromMinutes(20), null, drainPerHour: 10, TimeSpan.FromMinutes(30), Eight);

        Assert.Equal(new RuntimeForecast(100, TimeSpan.FromHours(10), FallsShort: false), forecast);
    }

    [Fact]
    public void A_battery_still_charging_at_the_start_counts_what_it_will_have_gained()
    {
        var forecast = ShiftRuntime.Predict(40, charging: true, TimeSpan.FromHours(2), chargePerHour: 30, drainPerHour: 10, TimeSpan.FromHours(1), Eight);

        Assert.Equal(70, forecast.StartChargePercent);
        Assert.True(forecast.FallsShort);
    }

    [Fact]
    public void Without_drain_history_there_is_no_runtime_and_no_shortfall()
    {
        var forecast = ShiftRuntime.Predict(20, charging: false, null, null, drainPerHour: null, TimeSpan.Zero, Eight);

        Assert.Null(forecast.Runtime);
        Assert.False(forecast.FallsShort);
    }
}
