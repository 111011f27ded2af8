using System.Device.Gpio;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Cradles.Gpio;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

/// <summary>GPIO cradles through <see cref="GpioController"/> and the simulated driver, on a fake clock.</summary>
public sealed class CradleGpioTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    /// <summary>Cradle gpio-1: slot 1 on pins 17 (input) and 27 (LED), slot 2 on 22 and 23.</summary>
    private static readonly string[] GpioCradle =
    [
        "--Edge:Cradles:Gpio:Driver", "simulated",
        "--Edge:Cradles:Gpio:DebounceMs", "50",
        "--Edge:Cradles:Gpio:Cradles:0:Id", "gpio-1",
        "--Edge:Cradles:Gpio:Cradles:0:Slots:0:Occupied", "17",
        "--Edge:Cradles:Gpio:Cradles:0:Slots:0:Led", "27",
        "--Edge:Cradles:Gpio:Cradles:0:Slots:1:Occupied", "22",
        "--Edge:Cradles:Gpio:Cradles:0:Slots:1:Led", "23",
    ];

    [Fact]
    public void Bounces_within_the_window_give_one_event_with_the_level_read_after_it()
    {
        var (driver, controller, clock, events, debouncer) = Switch(17);
        using (controller)
        using (debouncer)
        {
            driver.SetInput(17, PinValue.Low);
            driver.SetInput(17, PinValue.High);
            driver.SetInput(17, PinValue.Low);
            clock.Advance(Window - TimeSpan.FromMilliseconds(1));
            Assert.Empty(events);

            clock.Advance(TimeSpan.FromMilliseconds(1));

            Assert.Equal([PinValue.Low], events);
        }
    }

    [Fact]
    public void A_bounce_that_ends_where_it_began_gives_no_event_and_a_later_change_gives_one()
    {
        var (driver, controller, clock, events, debouncer) = Switch(17);
        using (controller)
        using (debouncer)
        {
            driver.SetInput(17, PinValue.Low);
            driver.SetInput(17, PinValue.High);
            clock.Advance(Window);
            Assert.Empty(events);

            driver.SetInput(17, PinValue.Low);
            clock.Advance(Window);
            driver.SetInput(17, PinValue.High);
            driver.SetInput(17, PinValue.Low);
            driver.SetInput(17, PinValue.High);
            clock.Advance(Window);

            Assert.Equal([PinValue.Low, PinValue.High], events);
        }
    }

    [Fact]
    public async Task Slot_switch_is_debounced_into_the_model_and_a_pick_lights_its_led_until_the_slot_empties()
    {
        await using var server = await EdgeServer.StartAsync(GpioCradle);
        var driver = server.Get<SimulatedGpioDriver>();
        var floor = server.Get<ICradleFloor>();
        Assert.Equal(PinMode.InputPullUp, driver.ModeOf(17));
        Assert.Equal(PinMode.Output, driver.ModeOf(27));
        Assert.All(floor.Cradles().Single().Slots, s => Assert.Equal(SlotContent.Empty, s.Content));

        driver.SetInput(17, PinValue.Low);
        driver.SetInput(17, PinValue.High);
        driver.SetInput(17, PinValue.Low);
        await SettleAsync(server);
        var device = await server.EnrollAsync("GPIO-DOCKED");
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.CheckinOkAsync(device.DeviceSecret, Docked("gpio-1", 1, level: 71));

        // The device's report is the newest word on the slot; the switch agrees.
        var slot = floor.SlotOf("GPIO-DOCKED");
        Assert.NotNull(slot);
        Assert.Equal((CradleSource.Device, SlotContent.Device, 1, device.DeviceId, 71), (slot.Source, slot.Content, slot.Slot, slot.DeviceId, slot.ChargePercent));
        Assert.Equal(PinValue.Low, driver.LevelOf(27));

        var picked = await floor.PickAsync("GPIO-DOCKED", CancellationToken.None);

        Assert.True(picked!.LedOn);
        Assert.Equal(PinValue.High, driver.LevelOf(27));
        Assert.True(floor.SlotOf("GPIO-DOCKED")!.LedOn);
        Assert.Equal(PinValue.Low, driver.LevelOf(23));

        driver.SetInput(17, PinValue.High);
        await SettleAsync(server);
        await WaitUntilAsync(() => driver.LevelOf(27) == PinValue.Low);

        var emptied = floor.Cradles().Single().Slots[0];
        Assert.Equal((SlotContent.Empty, false, CradleSource.Gpio), (emptied.Content, emptied.LedOn, emptied.Source));
        Assert.Null(floor.SlotOf("GPIO-DOCKED"));
    }

    [Fact]
    public async Task Clear_pick_turns_the_led_off_and_a_pick_of_an_unknown_serial_lights_nothing()
    {
        await using var server = await EdgeServer.StartAsync(GpioCradle);
        var driver = server.Get<SimulatedGpioDriver>();
        var floor = server.Get<ICradleFloor>();
        driver.SetInput(22, PinValue.Low);
        await SettleAsync(server);
        var device = await server.EnrollAsync("GPIO-SLOT2");
        await server.CheckinOkAsync(device.DeviceSecret, Docked("gpio-1", 2, level: 90));
        await floor.PickAsync("GPIO-SLOT2", CancellationToken.None);
        Assert.Equal(PinValue.High, driver.LevelOf(23));

        await floor.ClearPickAsync("GPIO-SLOT2", CancellationToken.None);

        Assert.Equal(PinValue.Low, driver.LevelOf(23));
        Assert.False(floor.SlotOf("GPIO-SLOT2")!.LedOn);
        Assert.Null(await floor.PickAsync("NOBODY", CancellationToken.None));
    }

    [Fact]
    public async Task Following_device_reports_closes_and_opens_the_simulated_switch()
    {
        await using var server = await EdgeServer.StartAsync([.. GpioCradle, "--Edge:Cradles:Gpio:Simulated:FollowDeviceReports", "true"]);
        var driver = server.Get<SimulatedGpioDriver>();
        var device = await server.EnrollAsync("GPIO-FOLLOW");

        await server.CheckinOkAsync(device.DeviceSecret, Docked("gpio-1", 2, level: 50));
        await WaitUntilAsync(() => driver.LevelOf(22) == PinValue.Low);
        await SettleAsync(server);
        Assert.Equal(CradleSource.Gpio, server.Get<ICradleFloor>().SlotOf("GPIO-FOLLOW")!.Source);

        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 49, Docked = false } } });
        await WaitUntilAsync(() => driver.LevelOf(22) == PinValue.High);
        await SettleAsync(server);

        Assert.Equal(SlotContent.Empty, server.Get<ICradleFloor>().Cradles().Single().Slots[1].Content);
    }

    [Theory]
    [InlineData("Slots:1:Led", "17", "pin 17 is used twice: cradle 'gpio-1' slot 1 occupied input and cradle 'gpio-1' slot 2 LED")]
    [InlineData("Slots:1:Occupied", "27", "pin 27 is used twice")]
    [InlineData("Slots:0:Led", "-4", "slot 1 LED has no pin (or a negative one: -4)")]
    public async Task A_bad_pin_map_refuses_to_start_naming_the_pin(string key, string value, string message)
    {
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            EdgeServer.StartAsync([.. GpioCradle, "--Edge:Cradles:Gpio:Cradles:0:" + key, value]));

        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_refuses_empty_cradles_duplicate_ids_and_following_on_hardware()
    {
        var options = new CradleOptions
        {
            Networked = { new NetworkedCradleOptions { Id = "bay-3", Slots = 10 }, new NetworkedCradleOptions { Id = "bay-4", Slots = 0 } },
            Gpio = new GpioCradleOptions
            {
                Driver = GpioCradleOptions.Libgpiod,
                Simulated = new SimulatedGpioOptions { FollowDeviceReports = true },
                Cradles = { new GpioCradle { Id = "bay-3", Slots = { new GpioSlotPins { Occupied = 5, Led = 6 } } }, new GpioCradle { Id = "gpio-empty" } },
            },
        };

        var failures = new CradleOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains(failures, f => f.Contains("cradle id 'bay-3' is configured twice", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("cradle 'bay-4' must have 1-64 slots (has 0)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("cradle 'gpio-empty' must have 1-64 slots (has 0)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("FollowDeviceReports needs Driver 'simulated'", StringComparison.Ordinal));
        Assert.Equal(4, failures.Count);
    }

    internal static CheckinRequest Docked(string cradleId, int slot, int level) => new()
    {
        Status = new DeviceStatus
        {
            Battery = new BatteryStatus { Level = level, Charging = true, Docked = true, DockedAt = new DockLocation { CradleId = cradleId, Slot = slot } },
        },
    };

    private static async Task SettleAsync(EdgeServer server)
    {
        server.Clock.Advance(Window);
        await server.Get<GpioCradleBay>().Written;
    }

    private static (SimulatedGpioDriver, GpioController, FakeTimeProvider, List<PinValue>, SlotDebouncer) Switch(int pin)
    {
        var driver = new SimulatedGpioDriver();
        var controller = new GpioController(driver);
        var clock = new FakeTimeProvider();
        var events = new List<PinValue>();
        controller.OpenPin(pin, PinMode.InputPullUp);
        var debouncer = new SlotDebouncer(clock, Window, () => controller.Read(pin), events.Add);
        debouncer.Prime(controller.Read(pin));
        controller.RegisterCallbackForPinValueChangedEvent(pin, PinEventTypes.Rising | PinEventTypes.Falling, (_, _) => debouncer.Edge());
        return (driver, controller, clock, events, debouncer);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
