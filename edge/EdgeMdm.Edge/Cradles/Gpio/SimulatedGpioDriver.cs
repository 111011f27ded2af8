using System.Device.Gpio;

namespace EdgeMdm.Edge.Cradles.Gpio;

/// <summary>
/// A GPIO chip in memory (dotnet/iot's <c>MockableGpioDriver</c> idea): what tests and <c>make run</c> drive instead of
/// pins. An input's level is what the outside world puts on it (<see cref="SetInput"/>; pulled up: High until something
/// pulls it low), and setting it raises the edge callbacks registered for that edge, as a chip's interrupt would. An
/// output's level is what the appliance wrote (<see cref="LevelOf"/>).
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Pin> _pins = [];

    protected override int PinCount => 64;

    /// <summary>Puts <paramref name="level"/> on input <paramref name="pin"/> and raises its edge callbacks if the level changed.</summary>
    public void SetInput(int pin, PinValue level)
    {
        PinChangeEventHandler[] callbacks;
        PinEventTypes edge;
        lock (_lock)
        {
            var state = PinOf(pin);
            if (state.Level == level)
                return;
            state.Level = level;
            edge = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            callbacks = [.. state.Callbacks.Where(c => c.Events.HasFlag(edge)).Select(c => c.Handler)];
        }

        foreach (var callback in callbacks)
            callback(this, new PinValueChangedEventArgs(edge, pin));
    }

    /// <summary>The level on <paramref name="pin"/>: what was written to an output, what is put on an input.</summary>
    public PinValue LevelOf(int pin)
    {
        lock (_lock)
            return PinOf(pin).Level;
    }

    /// <summary>The mode <paramref name="pin"/> was opened in; null when it is not open.</summary>
    public PinMode? ModeOf(int pin)
    {
        lock (_lock)
            return _pins.TryGetValue(pin, out var state) && state.Open ? state.Mode : null;
    }

    protected override void OpenPin(int pinNumber)
    {
        lock (_lock)
            PinOf(pinNumber).Open = true;
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_lock)
        {
            var state = PinOf(pinNumber);
            state.Open = false;
            state.Callbacks.Clear();
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_lock)
        {
            var state = PinOf(pinNumber);
            state.Mode = mode;
            // A pull-up holds an input high until the switch pulls it low; a pull-down, low.
            if (mode == PinMode.InputPullUp && !state.Driven)
                state.Level = PinValue.High;
            else if (mode == PinMode.InputPullDown && !state.Driven)
                state.Level = PinValue.Low;
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_lock)
            return PinOf(pinNumber).Mode;
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => LevelOf(pinNumber);

    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_lock)
        {
            var state = PinOf(pinNumber);
            state.Level = value;
            state.Driven = true;
        }
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the simulated driver raises callbacks; it does not block for events");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_lock)
            PinOf(pinNumber).Callbacks.Add((eventTypes, callback));
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
            PinOf(pinNumber).Callbacks.RemoveAll(c => c.Handler == callback);
    }

    public override GpioChipInfo GetChipInfo() => new(0, "simulated", "EdgeMdm simulated GPIO", PinCount);

    private Pin PinOf(int pin)
    {
        if (!_pins.TryGetValue(pin, out var state))
            _pins[pin] = state = new Pin();
        return state;
    }

    private sealed class Pin
    {
        public bool Open { get; set; }

        public bool Driven { get; set; }

        public PinMode Mode { get; set; } = PinMode.Input;

        public PinValue Level { get; set; } = PinValue.High;

        public List<(PinEventTypes Events, PinChangeEventHandler Handler)> Callbacks { get; } = [];
    }
}
