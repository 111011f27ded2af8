using System.Globalization;
using EdgeMdm.Edge.Cradles.Gpio;
using EdgeMdm.Edge.Mqtt;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cradles;

/// <summary>
/// Makes the LEDs what the data directory says (table <c>cradle_leds</c>): in the serving process only, at start (a
/// restart lights picks again), at once after a change made here, and every second for changes another process made
/// (a pick from an operator command). A GPIO slot's LED is its output pin; a networked cradle is sent <c>on</c> or
/// <c>off</c> on <c>edgemdm/cradles/{id}/slots/{n}/led</c>.
/// </summary>
internal sealed partial class CradleLedDriver : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CradleStore _store;
    private readonly IOptions<CradleOptions> _options;
    private readonly GpioCradleBay _gpio;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _clock;
    private readonly ILogger<CradleLedDriver> _logger;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly Dictionary<(string Cradle, int Slot), bool> _driven = [];
    private volatile bool _serving;

    public CradleLedDriver(
        CradleStore store, IOptions<CradleOptions> options, GpioCradleBay gpio, IServiceProvider services, TimeProvider clock, ILogger<CradleLedDriver> logger)
    {
        _store = store;
        _options = options;
        _gpio = gpio;
        _services = services;
        _clock = clock;
        _logger = logger;
        gpio.SlotChanged += (_, _) => _ = ReconcileQuietlyAsync();
    }

    /// <summary>The LEDs as last driven (tests, and what the serving process believes is lit).</summary>
    public bool IsDriven(string cradleId, int slot)
    {
        lock (_driven)
            return _driven.GetValueOrDefault((cradleId, slot));
    }

    /// <summary>Drives every LED whose stored state differs from what was last driven; nothing outside the serving process.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        if (!_serving)
            return;
        await _one.WaitAsync(cancellationToken);
        try
        {
            var lit = _store.Leds().Select(l => (l.CradleId, l.Slot)).ToHashSet();
            foreach (var (id, slots, gpio) in _options.Value.Configured())
            {
                for (var slot = 1; slot <= slots; slot++)
                {
                    var on = lit.Contains((id, slot));
                    bool driven;
                    lock (_driven)
                        driven = _driven.GetValueOrDefault((id, slot));
                    if (on == driven)
                        continue;
                    if (gpio ? _gpio.SetLed(id, slot, on) : await PublishAsync(id, slot, on, cancellationToken))
                    {
                        lock (_driven)
                            _driven[(id, slot)] = on;
                        LogLed(_logger, id, slot, on ? "on" : "off");
                    }
                }
            }
        }
        finally
        {
            _one.Release();
        }
    }

    public static string LedTopic(string cradleId, int slot) =>
        $"{MqttTopics.Root}/{MqttTopics.Cradles}/{cradleId}/slots/{slot.ToString(CultureInfo.InvariantCulture)}/led";

    public override void Dispose()
    {
        _one.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _serving = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            // The next wait starts before this round (whoever sees the round's effect may move the clock on), one
            // interval from now: a clock that jumps gives one round, where a periodic timer would owe one per interval.
            var next = Task.Delay(Interval, _clock, stoppingToken);
            await ReconcileQuietlyAsync(stoppingToken);
            try
            {
                await next;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReconcileQuietlyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ReconcileAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next round drives them again.
            LogFailed(_logger, exception.Message);
        }
    }

    private async Task<bool> PublishAsync(string cradleId, int slot, bool on, CancellationToken cancellationToken) =>
        _services.GetService<ICradleCommands>() is { } commands && await commands.PublishAsync(LedTopic(cradleId, slot), on ? "on" : "off", cancellationToken);

    [LoggerMessage(EventId = 7310, Level = LogLevel.Information, Message = "Cradle {CradleId} slot {Slot}: LED {State}")]
    private static partial void LogLed(ILogger logger, string cradleId, int slot, string state);

    [LoggerMessage(EventId = 7311, Level = LogLevel.Warning, Message = "Cradle LEDs not driven this round: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
