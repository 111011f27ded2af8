using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Chains;

namespace EdgeMdm.Domain.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    private static List<AuditRecord> Trail(int count)
    {
        var records = new List<AuditRecord>();
        AuditRecord? previous = null;
        for (var i = 0; i < count; i++)
        {
            previous = AuditChain.Next("site", previous, new AuditEntry("supervisor:ana", AuditActions.CommandQueued, $"dev-{i}", "10.0.0.7", "lock"), At.AddSeconds(i));
            records.Add(previous);
        }

        return records;
    }

    [Fact]
    public void An_untouched_trail_verifies_and_links_each_record_to_the_one_before()
    {
        var trail = Trail(4);

        var verdict = AuditChain.Verify(trail);

        Assert.True(verdict.AllVerify);
        Assert.Equal(4, verdict.Links);
        Assert.Equal(trail[2].Hash, trail[3].PreviousHash);
        Assert.Equal("", trail[0].PreviousHash);
    }

    [Fact]
    public void An_edited_record_is_named()
    {
        var trail = Trail(4);
        trail[1] = trail[1] with { Actor = "someone else" };

        var problem = Assert.Single(AuditChain.Verify(trail).Problems);

        Assert.Equal((1L, ChainProblemKind.Edited), (problem.Index, problem.Kind));
        Assert.StartsWith("site record 1: edited", AuditChain.Describe(problem), StringComparison.Ordinal);
    }

    [Fact]
    public void An_edited_record_with_its_hash_recomputed_is_named_by_the_next_one()
    {
        var trail = Trail(4);
        var forged = trail[1] with { Detail = "nothing happened" };
        trail[1] = forged with { Hash = AuditChain.HashOf(forged) };

        var problem = Assert.Single(AuditChain.Verify(trail).Problems);

        Assert.Equal((1L, ChainProblemKind.Edited), (problem.Index, problem.Kind));
    }

    [Fact]
    public void A_removed_record_is_named_and_so_is_the_removed_tail_against_a_head()
    {
        var trail = Trail(5);
        var head = new ChainHead("site", trail[^1].Index, trail[^1].Hash);
        trail.RemoveAt(4);
        trail.RemoveAt(2);

        var problems = AuditChain.Verify(trail, [head]).Problems;

        Assert.Equal([(2L, ChainProblemKind.Removed), (4L, ChainProblemKind.Removed)], problems.Select(p => (p.Index, p.Kind)));
    }

    [Fact]
    public void Two_swapped_records_are_named_reordered()
    {
        var trail = Trail(4);
        (trail[1], trail[2]) = (trail[2] with { Index = 1 }, trail[1] with { Index = 2 });

        var problems = AuditChain.Verify(trail).Problems;

        Assert.Contains(problems, p => p.Kind == ChainProblemKind.Reordered && p.Index is 1 or 2);
        Assert.DoesNotContain(problems, p => p.Index is 0 or 3);
    }

    [Fact]
    public void Exports_carry_every_field_in_csv_and_json_lines()
    {
        var trail = Trail(2);
        trail[1] = AuditChain.Next("site", trail[0], new AuditEntry("hub", AuditActions.UserChanged, "bob", "feed", "role \"supervisor\", a,b"), At);
        using var csv = new StringWriter();
        using var jsonl = new StringWriter();

        AuditExport.Write(csv, trail, AuditFormat.Csv);
        AuditExport.Write(jsonl, trail, AuditFormat.JsonLines);

        var csvLines = csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("chain,index,at,actor,action,subject,source,detail,previous_hash,hash", csvLines[0]);
        Assert.EndsWith($",\"role \"\"supervisor\"\", a,b\",{trail[0].Hash},{trail[1].Hash}", csvLines[2], StringComparison.Ordinal);
        var second = System.Text.Json.JsonDocument.Parse(jsonl.ToString().Split('\n')[1]).RootElement;
        Assert.Equal(1, second.GetProperty("index").GetInt64());
        Assert.Equal("role \"supervisor\", a,b", second.GetProperty("detail").GetString());
        Assert.Equal(AuditFormat.JsonLines, AuditExport.ParseFormat("jsonl"));
        Assert.Null(AuditExport.ParseFormat("xml"));
    }
}
