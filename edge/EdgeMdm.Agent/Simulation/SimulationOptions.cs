namespace EdgeMdm.Agent;

/// <summary>What <see cref="FleetSimulator"/> runs.</summary>
public sealed record SimulationOptions
{
    /// <summary>The appliance, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public required Uri Server { get; init; }

    public required string EnrollmentToken { get; init; }

    public int Devices { get; init; } = 1;

    /// <summary>How long devices keep checking in, from the start of the run.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Serials are this prefix and the 1-based device index, zero-padded: SIM00001, SIM00002...
    /// A rerun with the same prefix re-enrolls the same devices.</summary>
    public string SerialPrefix { get; init; } = "SIM";

    /// <summary>Seeds every device (profile, behaviour, start jitter): the same seed, the same fleet.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Check in this often instead of what the appliance says; null to obey the appliance.</summary>
    public TimeSpan? IntervalOverride { get; init; }

    /// <summary>
    /// At most this many devices talk to the appliance at once, and at most this many connections are
    /// open to it.
    /// </summary>
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>How long one request may take before it counts as a timeout error.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The devices' clock (battery, installs, command timestamps, waiting between check-ins).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The first thing wrong with these options, or null.</summary>
    internal string? Problem() =>
        Server is null || !Server.IsAbsoluteUri ? "Server must be an absolute URL"
        : string.IsNullOrEmpty(EnrollmentToken) ? "EnrollmentToken is required"
        : Devices < 1 ? "Devices must be at least 1"
        : Duration <= TimeSpan.Zero ? "Duration must be positive"
        : MaxConcurrency < 1 ? "MaxConcurrency must be at least 1"
        : RequestTimeout <= TimeSpan.Zero ? "RequestTimeout must be positive"
        : IntervalOverride <= TimeSpan.Zero ? "IntervalOverride must be positive"
        : SerialPrefix is null ? "SerialPrefix must not be null"
        : TimeProvider is null ? "TimeProvider must not be null"
        : null;
}
