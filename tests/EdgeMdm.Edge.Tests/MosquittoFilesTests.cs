namespace EdgeMdm.Edge.Tests;

public sealed class MosquittoFilesTests
{
    private static readonly BrokerAccount[] Accounts =
    [
        new("cradle-1", "$7$101$c$h1", MqttClientRoles.Cradle),
        new("dev-a", "$7$101$d$h2", "device"),
        new("floor-board", "$7$101$t$h3", MqttClientRoles.Tool),
    ];

    [Fact]
    public void Password_file_has_the_appliance_then_every_account_one_per_line()
    {
        var file = MosquittoFiles.PasswordFile("edgemdm-appliance", "$7$101$a$h0", Accounts);

        var lines = file.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(["edgemdm-appliance:$7$101$a$h0", "cradle-1:$7$101$c$h1", "dev-a:$7$101$d$h2", "floor-board:$7$101$t$h3"], lines);
    }

    [Fact]
    public void Acl_gives_devices_their_own_topics_the_appliance_the_wakes_cradles_their_own_and_tools_every_cradle()
    {
        var acl = MosquittoFiles.AclFile("edgemdm-appliance", Accounts);

        Assert.Contains("pattern read edgemdm/devices/%u/#\n", acl, StringComparison.Ordinal);
        Assert.Contains("user edgemdm-appliance\ntopic write edgemdm/devices/+/wake\n", acl, StringComparison.Ordinal);
        Assert.Contains("user cradle-1\ntopic readwrite edgemdm/cradles/cradle-1/#\n", acl, StringComparison.Ordinal);
        Assert.Contains("user floor-board\ntopic read edgemdm/cradles/#\n", acl, StringComparison.Ordinal);
        Assert.DoesNotContain("user dev-a", acl, StringComparison.Ordinal);
    }
}
