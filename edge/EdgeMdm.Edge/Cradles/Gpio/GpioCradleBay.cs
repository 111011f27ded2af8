using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cradles.Gpio;

/// <summary>
/// The cradles wired to the appliance's GPIO (serving process only): per slot an occupied input with pull-up (the slot's
/// switch pulls it low: Low = occupied), its edges debounced by <see cref="SlotDebouncer"/>, each settled level stored
/// as the slot's GPIO observation; and an LED output that <see cref="CradleLedDriver"/> drives. On hardware the libgpiod
/// driver; with <c>Driver: simulated</c> the <see cref="SimulatedGpioDriver"/> from the container.
/// </summary>
internal sealed partial class GpioCradleBay(
    IOptions<CradleOptions> options,
    EdgeStorage storage,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<GpioCradleBay> logger) : IHostedService, IDisposable
{
    private readonly Dictionary<(string Cradle, int Slot), GpioSlotPins> _pins = [];
    private readonly List<SlotDebouncer> _debouncers = [];
    private readonly Lock _writesLock = new();
    private GpioController? _controller;
    private Task _writes = Task.CompletedTask;

    /// <summary>Raised after a settled level was stored (the LED driver turns off the LED of a slot that emptied).</summary>
    public event EventHandler? SlotChanged;

    /// <summary>True once the pins are open.</summary>
    public bool Serving => _controller is not null;

    /// <summary>Completes when every settled level so far is stored.</summary>
    public Task Written
    {
        get
        {
            lock (_writesLock)
                return _writes;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var gpio = options.Value.Gpio;
        if (gpio.Cradles.Count == 0)
            return;
        var driver = string.Equals(gpio.Driver, GpioCradleOptions.SimulatedDriver, StringComparison.Ordinal)
            ? services.GetRequiredService<SimulatedGpioDriver>()
            : (GpioDriver)new LibGpiodDriver(gpio.Chip);
        var controller = new GpioController(driver);
        var initial = new List<(string Cradle, int Slot, PinValue Level)>();
        foreach (var cradle in gpio.Cradles)
        {
            for (var i = 0; i < cradle.Slots.Count; i++)
                initial.Add(OpenSlot(controller, cradle.Id, i + 1, cradle.Slots[i], TimeSpan.FromMilliseconds(gpio.DebounceMs)));
        }

        _controller = controller;
        var now = clock.GetUtcNow();
        await storage.WriteAsync(unit =>
        {
            foreach (var (cradle, slot, level) in initial)
                Record(unit, cradle, slot, level, now);
            return true;
        });
        LogStarted(logger, gpio.Cradles.Count, gpio.Driver);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Written;

    public void Dispose()
    {
        foreach (var debouncer in _debouncers)
            debouncer.Dispose();
        _controller?.Dispose();
    }

    /// <summary>Lights or darkens a GPIO slot's LED; false when the slot is not a GPIO one or the pins are not open here.</summary>
    public bool SetLed(string cradleId, int slot, bool on)
    {
        if (_controller is not { } controller || !_pins.TryGetValue((cradleId, slot), out var pins))
            return false;
        controller.Write(pins.Led, on ? PinValue.High : PinValue.Low);
        return true;
    }

    /// <summary>The input pin of a GPIO slot, if it is one.</summary>
    public int? InputOf(string cradleId, int slot) => _pins.TryGetValue((cradleId, slot), out var pins) ? pins.Occupied : null;

    private (string, int, PinValue) OpenSlot(GpioController controller, string cradleId, int slot, GpioSlotPins pins, TimeSpan window)
    {
        _pins[(cradleId, slot)] = pins;
        controller.OpenPin(pins.Led, PinMode.Output, PinValue.Low);
        controller.OpenPin(pins.Occupied, PinMode.InputPullUp);
        var debouncer = new SlotDebouncer(clock, window, () => controller.Read(pins.Occupied), level => Settled(cradleId, slot, level));
        var level = controller.Read(pins.Occupied);
        debouncer.Prime(level);
        _debouncers.Add(debouncer);
        controller.RegisterCallbackForPinValueChangedEvent(pins.Occupied, PinEventTypes.Rising | PinEventTypes.Falling, (_, _) => debouncer.Edge());
        return (cradleId, slot, level);
    }

    private void Settled(string cradleId, int slot, PinValue level)
    {
        LogSettled(logger, cradleId, slot, level == PinValue.Low ? "occupied" : "empty");
        lock (_writesLock)
            _writes = _writes.ContinueWith(_ => StoreAsync(cradleId, slot, level), TaskScheduler.Default).Unwrap();
    }

    private async Task StoreAsync(string cradleId, int slot, PinValue level)
    {
        try
        {
            var now = clock.GetUtcNow();
            await storage.WriteAsync(unit => Record(unit, cradleId, slot, level, now));
            SlotChanged?.Invoke(this, EventArgs.Empty);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next edge stores the level again; a failed write must not end the callbacks.
            LogStoreFailed(logger, cradleId, slot, exception.Message);
        }
    }

    private static bool Record(UnitOfWork unit, string cradleId, int slot, PinValue level, DateTimeOffset now)
    {
        var occupied = level == PinValue.Low;
        // The switch cannot tell a device from a battery: GPIO cradles hold devices.
        CradleStore.Record(unit, cradleId, slot, new SlotObservation(SlotSource.Gpio, occupied ? SlotHolding.Device : SlotHolding.Empty, null, null, null, null, now), null);
        if (!occupied)
            CradleStore.Unlight(unit, cradleId, slot);
        return true;
    }

    [LoggerMessage(EventId = 7300, Level = LogLevel.Information, Message = "GPIO cradles: {Count} on the {Driver} driver")]
    private static partial void LogStarted(ILogger logger, int count, string driver);

    [LoggerMessage(EventId = 7301, Level = LogLevel.Debug, Message = "GPIO cradle {CradleId} slot {Slot}: {State}")]
    private static partial void LogSettled(ILogger logger, string cradleId, int slot, string state);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Warning, Message = "GPIO cradle {CradleId} slot {Slot}: not stored: {Error}")]
    private static partial void LogStoreFailed(ILogger logger, string cradleId, int slot, string error);
}
