using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>The sign-in delay as both servers' sign-in pages and the hub's login endpoint keep it (default settings).</summary>
public sealed class SignInAttemptsTests
{
    private const string RealUser = "203.0.113.7";
    private const string Attacker = "198.51.100.66";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));
    private readonly WebSessionOptions _options = new();

    private SignInAttempts NewAttempts() => new(_clock, Microsoft.Extensions.Options.Options.Create(_options));

    [Fact]
    public void Wrong_passwords_from_one_address_delay_it_exponentially_up_to_the_longest_delay()
    {
        // Arrange
        var attempts = NewAttempts();
        var delays = new List<TimeSpan>();

        // Act: the attacker waits out each delay and guesses again
        for (var i = 0; i < 12; i++)
        {
            var until = attempts.Failed("kim", Attacker);
            delays.Add(until is { } u ? u - _clock.GetUtcNow() : TimeSpan.Zero);
            if (until is { } wait)
                _clock.SetUtcNow(wait);
        }

        // Assert: four free, then 30 s doubling, capped at 15 min
        Assert.Equal(
            [
                TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero,
                TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(8),
                TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15),
            ],
            delays);
    }

    [Fact]
    public void The_real_user_gets_in_at_once_from_their_own_address_while_an_attacker_hammers_from_another()
    {
        // Arrange: the attacker has spent far more than the free failures on kim
        var attempts = NewAttempts();
        for (var i = 0; i < 40; i++)
        {
            if (attempts.LockedUntil("kim", Attacker) is { } wait)
                _clock.SetUtcNow(wait);
            attempts.Failed("kim", Attacker);
        }

        // Act
        var attackerWaits = attempts.LockedUntil("kim", Attacker);
        var realUserWaits = attempts.LockedUntil("kim", RealUser);

        // Assert
        Assert.NotNull(attackerWaits);
        Assert.Null(realUserWaits);
    }

    [Fact]
    public void A_real_user_who_mistypes_during_an_attack_waits_a_bounded_time_that_the_attacker_cannot_lengthen()
    {
        // Arrange: an attack on kim in progress; the real user mistypes once
        var attempts = NewAttempts();
        for (var i = 0; i < 10; i++)
            attempts.Failed("kim", Attacker);
        var mistypedAt = _clock.GetUtcNow();
        var mistyped = attempts.Failed("kim", RealUser);

        // Act: the attacker keeps guessing whenever allowed, for the whole of the real user's wait
        var deadline = mistyped!.Value;
        while (_clock.GetUtcNow() < deadline)
        {
            if (attempts.LockedUntil("kim", Attacker) is null)
                attempts.Failed("kim", Attacker);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        var realUserWaits = attempts.LockedUntil("kim", RealUser);

        // Assert: one mistake during an attack costs the first delay, then the right password is checked
        Assert.Equal(_options.LockoutFirstDelay, deadline - mistypedAt);
        Assert.Null(realUserWaits);
    }

    [Fact]
    public void An_address_guessing_many_accounts_is_delayed_for_every_account_and_only_there()
    {
        // Arrange
        var attempts = NewAttempts();
        for (var i = 0; i < _options.LockoutFailures * 4; i++)
            attempts.Failed("user-" + i, Attacker);

        // Act
        var anyAccountFromAttacker = attempts.LockedUntil("someone-else", Attacker);
        var fromElsewhere = attempts.LockedUntil("someone-else", RealUser);

        // Assert
        Assert.NotNull(anyAccountFromAttacker);
        Assert.Null(fromElsewhere);
    }

    [Fact]
    public void Failures_are_forgotten_after_twice_the_longest_delay_without_one()
    {
        // Arrange
        var attempts = NewAttempts();
        for (var i = 0; i < _options.LockoutFailures; i++)
            attempts.Failed("kim", Attacker);

        // Act
        _clock.Advance(_options.LockoutDuration * 2 + TimeSpan.FromSeconds(1));
        var afterQuiet = attempts.Failed("kim", Attacker);

        // Assert: counted from one again, so no delay
        Assert.Null(afterQuiet);
    }
}
