namespace EdgeMdm.Cli.Tests;

/// <summary>Dangerous actions through the CLI: a wipe's reason, and a held wipe listed and approved once (fake hub).</summary>
public sealed partial class FleetTests
{
    [Fact]
    public async Task A_wipe_needs_a_reason_and_a_held_one_is_listed_and_approved_once()
    {
        // Act
        var noReason = await Cli.RunAsync("commands", "send", "--group", "pickers", "wipe");
        var held = await Cli.RunAsync("commands", "send", "--group", "pickers", "wipe", "--reason", "site closing");
        var id = Assert.Single(Hub.Approvals.Keys);
        var queuedWhileHeld = Hub.Commands.Count;
        var listed = await Cli.RunAsync("approvals", "list");
        var approved = await Cli.RunAsync("approvals", "approve", id);
        var again = await Cli.RunAsync("approvals", "approve", id);

        // Assert
        Assert.NotEqual(0, noReason.Exit);
        Assert.Contains("reason: is required for a wipe", Assert.Single(noReason.ErrLines), StringComparison.Ordinal);
        Assert.Equal(0, held.Exit);
        Assert.StartsWith($"wipe of 3 devices (group pickers) waits for a second person's approval: request {id}, until ", Assert.Single(held.OutLines), StringComparison.Ordinal);
        Assert.Equal(0, queuedWhileHeld);
        Assert.Matches(@"^REQUEST\s+STATUS\s+COMMAND", listed.OutLines[0]);
        Assert.Contains(listed.OutLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("site closing", StringComparison.Ordinal));
        Assert.Equal((0, $"request {id} approved: 3 wipe commands queued (group pickers, requested by token:tests)"), (approved.Exit, Assert.Single(approved.OutLines)));
        Assert.Equal(3, Hub.Commands.Count);
        Assert.NotEqual(0, again.Exit);
        Assert.Equal($"edgemdm: Already approved: request {id} was already approved by account:olivia; its commands are queued", Assert.Single(again.ErrLines));
    }
}
