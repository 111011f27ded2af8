using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Domain.Tests.Custody;

public sealed class CustodyVerifierTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A device's chain of <paramref name="count"/> hand-offs, site → courier → depot → courier → site...</summary>
    private static List<CustodyEvent> Chain(int count, string subject = "dev-1")
    {
        var parties = new[] { "site", "courier", "depot" };
        var events = new List<CustodyEvent>();
        CustodyEvent? previous = null;
        for (var i = 0; i < count; i++)
        {
            var handOff = new CustodyHandOff(subject, CustodySubjectKind.Device, parties[i % 3], parties[(i + 1) % 3], "operator:ann", Note: $"leg {i}");
            previous = CustodyChain.Next(previous, handOff, At.AddMinutes(i));
            events.Add(previous);
        }

        return events;
    }

    [Fact]
    public void An_untouched_chain_verifies()
    {
        var verdict = CustodyVerifier.VerifyAll([.. Chain(5), .. Chain(3, "BAT-9")]);

        Assert.True(verdict.AllVerify);
        Assert.Equal(2, verdict.Chains);
        Assert.Equal(8, verdict.Events);
    }

    [Fact]
    public void An_edited_event_is_named_edited_by_its_own_hash()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { To = "somewhere else" };

        var problem = Assert.Single(CustodyVerifier.Verify(chain));

        Assert.Equal(("dev-1", 2L, CustodyProblemKind.Edited), (problem.Subject, problem.Index, problem.Kind));
        Assert.Contains("does not match its content", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_edited_event_whose_hash_was_recomputed_is_caught_by_the_next_event()
    {
        var chain = Chain(5);
        var forged = chain[2] with { Note = "never went to the depot" };
        chain[2] = forged with { Hash = CustodyChain.HashOf(forged) };

        var problem = Assert.Single(CustodyVerifier.Verify(chain));

        Assert.Equal((2L, CustodyProblemKind.Edited), (problem.Index, problem.Kind));
        Assert.Contains("recomputed", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_last_event_edited_and_rehashed_shows_only_against_the_head_held_elsewhere()
    {
        var chain = Chain(4);
        var head = new CustodyHead("dev-1", 3, chain[3].Hash);
        var forged = chain[3] with { To = "my garage" };
        chain[3] = forged with { Hash = CustodyChain.HashOf(forged) };

        Assert.Empty(CustodyVerifier.Verify(chain));
        var problem = Assert.Single(CustodyVerifier.Verify(chain, head));

        Assert.Equal((3L, CustodyProblemKind.Edited), (problem.Index, problem.Kind));
    }

    [Fact]
    public void A_removed_event_is_named_by_its_index()
    {
        var chain = Chain(5);
        chain.RemoveAt(1);

        var problem = Assert.Single(CustodyVerifier.Verify(chain));

        Assert.Equal((1L, CustodyProblemKind.Removed), (problem.Index, problem.Kind));
    }

    [Fact]
    public void Removed_first_and_last_events_are_named()
    {
        var chain = Chain(5);
        var head = new CustodyHead("dev-1", 4, chain[4].Hash);
        chain.RemoveAt(4);
        chain.RemoveAt(0);

        var problems = CustodyVerifier.Verify(chain, head);

        Assert.Equal([(0L, CustodyProblemKind.Removed), (4L, CustodyProblemKind.Removed)], problems.Select(p => (p.Index, p.Kind)));
    }

    [Fact]
    public void A_whole_chain_removed_shows_against_its_head()
    {
        var chain = Chain(2);

        var verdict = CustodyVerifier.VerifyAll(Chain(1, "dev-2"), [new CustodyHead("dev-1", 1, chain[1].Hash)]);

        Assert.Equal([("dev-1", 0L), ("dev-1", 1L)], verdict.Problems.Select(p => (p.Subject, p.Index)));
        Assert.All(verdict.Problems, p => Assert.Equal(CustodyProblemKind.Removed, p.Kind));
    }

    [Fact]
    public void Events_stored_out_of_order_with_their_indexes_kept_are_named_reordered()
    {
        var chain = Chain(5);
        List<CustodyEvent> stored = [chain[0], chain[1], chain[3], chain[2], chain[4]];

        var problem = Assert.Single(CustodyVerifier.Verify(stored));

        Assert.Equal(CustodyProblemKind.Reordered, problem.Kind);
        Assert.Contains(problem.Index, new long[] { 2, 3 });
    }

    [Fact]
    public void Two_events_that_swapped_indexes_are_both_named_reordered()
    {
        var chain = Chain(5);
        // Someone swapped the index values of two stored rows (their other columns stay).
        List<CustodyEvent> stored = [chain[0], chain[1] with { Index = 2 }, chain[2] with { Index = 1 }, chain[3], chain[4]];

        var problems = CustodyVerifier.Verify(stored);

        Assert.Contains(problems, p => p is { Index: 1, Kind: CustodyProblemKind.Reordered } && p.Detail.Contains("recorded as event 2", StringComparison.Ordinal));
        Assert.Contains(problems, p => p is { Index: 2, Kind: CustodyProblemKind.Reordered } && p.Detail.Contains("recorded as event 1", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Kind != CustodyProblemKind.Reordered);
    }

    [Fact]
    public void Events_whose_contents_swapped_places_are_named_reordered()
    {
        var chain = Chain(4);
        // The rows kept their index and place but took each other's contents.
        List<CustodyEvent> stored = [chain[0], chain[2] with { Index = 1 }, chain[1] with { Index = 2 }, chain[3]];

        var problems = CustodyVerifier.Verify(stored);

        Assert.Equal([(1L, CustodyProblemKind.Reordered), (2L, CustodyProblemKind.Reordered)], problems.Select(p => (p.Index, p.Kind)));
    }

    [Fact]
    public void Links_crossing_to_another_event_are_named_reordered()
    {
        var chain = Chain(4);
        // Event 3 rewritten to follow event 1, its own hash recomputed: the links cross.
        var crossed = chain[3] with { PreviousHash = chain[1].Hash };
        chain[3] = crossed with { Hash = CustodyChain.HashOf(crossed) };

        var problem = Assert.Single(CustodyVerifier.Verify(chain));

        Assert.Equal((3L, CustodyProblemKind.Reordered), (problem.Index, problem.Kind));
        Assert.Contains("follows event 1, not event 2", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_index_gap_names_a_bounded_number_of_problems()
    {
        var chain = Chain(2);
        chain[1] = chain[1] with { Index = 5_000_000 };

        var problems = CustodyVerifier.Verify(chain);

        Assert.InRange(problems.Count, 2, CustodyVerifier.MaxNamedPerGap + 3);
        Assert.Contains(problems, p => p.Kind == CustodyProblemKind.Removed && p.Index == 1);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("0123", false)]
    [InlineData("", false)]
    public void Hash_form_is_64_lowercase_hex_digits(string hash, bool valid) => Assert.Equal(valid, CustodyVerifier.IsHash(hash));
}
