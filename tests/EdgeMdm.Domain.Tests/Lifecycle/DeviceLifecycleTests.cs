using EdgeMdm.Domain.Lifecycle;
using static EdgeMdm.Domain.Lifecycle.DeviceState;

namespace EdgeMdm.Domain.Tests.Lifecycle;

public sealed class DeviceLifecycleTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 14, 9, 30, 0, TimeSpan.Zero);

    /// <summary>
    /// The moves the XML comment on <see cref="DeviceLifecycle"/> documents, written out by hand from the prose
    /// so that the table in the code is checked against the documentation, not against itself.
    /// "Goes back to Enrolling from any state but Retired" is read as a change of state: Enrolling → Enrolling
    /// is not a move (see <see cref="Enrolling_to_Enrolling_is_not_a_transition"/>).
    /// </summary>
    private static readonly HashSet<(DeviceState From, DeviceState To)> Documented =
    [
        // Enrolling → Staging → Active ⇄ Quarantined → InRepair → Retired
        (Enrolling, DeviceState.Staging),
        (DeviceState.Staging, Active),
        (Active, Quarantined),
        (Quarantined, Active),
        (Quarantined, InRepair),
        (InRepair, Retired),

        // A broken scanner goes straight to the bench.
        (Active, InRepair),

        // A repaired device is staged again before it returns to the floor.
        (InRepair, DeviceState.Staging),

        // A lost device is written off.
        (Quarantined, Retired),

        // A device handed away (courier, repair depot) before it reached the floor.
        (Enrolling, Quarantined),
        (DeviceState.Staging, Quarantined),

        // Re-enrollment of a wiped device, from any state but Retired.
        (DeviceState.Staging, Enrolling),
        (Active, Enrolling),
        (Quarantined, Enrolling),
        (InRepair, Enrolling),
    ];

    public static TheoryData<DeviceState, DeviceState> AllPairs()
    {
        var data = new TheoryData<DeviceState, DeviceState>();
        foreach (var from in Enum.GetValues<DeviceState>())
        {
            foreach (var to in Enum.GetValues<DeviceState>())
                data.Add(from, to);
        }

        return data;
    }

    public static TheoryData<DeviceState, DeviceState> DocumentedPairs()
    {
        var data = new TheoryData<DeviceState, DeviceState>();
        foreach (var (from, to) in Documented)
            data.Add(from, to);
        return data;
    }

    [Fact]
    public void State_enum_has_the_six_documented_states()
    {
        // Arrange / Act
        var states = Enum.GetValues<DeviceState>();

        // Assert: the 36-pair theory below only covers everything while this holds.
        Assert.Equal([Enrolling, DeviceState.Staging, Active, Quarantined, InRepair, Retired], states);
        Assert.Equal(36, AllPairs().Count);
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Transition_is_allowed_exactly_when_the_documented_table_allows_it(DeviceState from, DeviceState to)
    {
        // Arrange
        var documented = Documented.Contains((from, to));

        // Act
        var exception = Record.Exception(() => DeviceLifecycle.Transition(from, to, "ops:alice", "test", At));

        // Assert
        Assert.Equal(documented, DeviceLifecycle.CanTransition(from, to));
        if (documented)
        {
            Assert.Null(exception);
        }
        else
        {
            var invalid = Assert.IsType<InvalidTransitionException>(exception);
            Assert.Equal(from, invalid.From);
            Assert.Equal(to, invalid.To);
        }
    }

    [Theory]
    [MemberData(nameof(DocumentedPairs))]
    public void Allowed_transition_records_states_actor_reason_and_time(DeviceState from, DeviceState to)
    {
        // Arrange
        const string actor = "ops:alice";
        const string reason = "scanner dropped on dock 4";

        // Act
        var transition = DeviceLifecycle.Transition(from, to, actor, reason, At);

        // Assert
        Assert.Equal(new StateTransition(from, to, actor, reason, At), transition);
    }

    [Fact]
    public void Allowed_targets_match_the_documented_table_for_every_state()
    {
        foreach (var from in Enum.GetValues<DeviceState>())
        {
            // Arrange
            var expected = Documented.Where(p => p.From == from).Select(p => p.To).Order().ToArray();

            // Act
            var actual = DeviceLifecycle.AllowedTargets(from).Order().ToArray();

            // Assert
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Retired_is_final()
    {
        // Arrange / Act
        var targets = DeviceLifecycle.AllowedTargets(Retired);

        // Assert
        Assert.Empty(targets);
        foreach (var to in Enum.GetValues<DeviceState>())
            Assert.Throws<InvalidTransitionException>(() => DeviceLifecycle.Transition(Retired, to, "ops:alice", "undo", At));
    }

    [Fact]
    public void Retired_device_cannot_re_enroll()
    {
        // Act
        var exception = Assert.Throws<InvalidTransitionException>(
            () => DeviceLifecycle.Transition(Retired, Enrolling, "device SN123", "re-enrollment", At));

        // Assert
        Assert.Equal(Retired, exception.From);
        Assert.Equal(Enrolling, exception.To);
        Assert.Contains("Retired", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Enrolling", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enrolling_to_Enrolling_is_not_a_transition()
    {
        // The comment says re-enrollment goes back to Enrolling "from any state but Retired"; a device that is
        // still Enrolling is not going back anywhere, so the table leaves the self-move out.
        Assert.False(DeviceLifecycle.CanTransition(Enrolling, Enrolling));
    }

    [Fact]
    public void Invalid_transition_is_an_invalid_operation()
    {
        // Act
        var exception = Record.Exception(() => DeviceLifecycle.Transition(Enrolling, Active, "ops:alice", "skip staging", At));

        // Assert: callers that catch InvalidOperationException see it too.
        Assert.IsAssignableFrom<InvalidOperationException>(exception);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void Transition_without_actor_is_rejected(string? actor)
    {
        // Act
        var exception = Record.Exception(() => DeviceLifecycle.Transition(Active, Quarantined, actor!, "lost on shift", At));

        // Assert
        var argument = Assert.IsAssignableFrom<ArgumentException>(exception);
        Assert.Equal("actor", argument.ParamName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void Transition_without_reason_is_rejected(string? reason)
    {
        // Act
        var exception = Record.Exception(() => DeviceLifecycle.Transition(Active, Quarantined, "ops:alice", reason!, At));

        // Assert
        var argument = Assert.IsAssignableFrom<ArgumentException>(exception);
        Assert.Equal("reason", argument.ParamName);
    }

    [Theory]
    [InlineData(Enrolling, true)]
    [InlineData(DeviceState.Staging, true)]
    [InlineData(Active, true)]
    [InlineData(Quarantined, true)]
    [InlineData(InRepair, true)]
    [InlineData(Retired, false)]
    public void Only_a_retired_device_may_not_check_in(DeviceState state, bool mayCheckIn)
    {
        Assert.Equal(mayCheckIn, DeviceLifecycle.MayCheckIn(state));
    }
}
