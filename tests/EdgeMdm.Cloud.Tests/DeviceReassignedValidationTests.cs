using EdgeMdm.Cloud.Sync;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Issue 25: the fields of a site's <c>DeviceReassigned</c> are checked at the sync boundary like every other change's.</summary>
public sealed class DeviceReassignedValidationTests
{
    public static TheoryData<string, SiteChange> BadChanges => new()
    {
        { "device_id is required", new SiteChange { DeviceReassigned = new() { ToGroup = "pickers" } } },
        { "device_reassigned.to_group is required", new SiteChange { DeviceId = "d", DeviceReassigned = new() { ToAssignment = "picker 12" } } },
        { "device_reassigned.to_assignment may be at most 1024 characters", new SiteChange
            { DeviceId = "d", DeviceReassigned = new() { ToGroup = "pickers", ToAssignment = new string('a', 1025) } } },
        { "device_reassigned.reason may be at most 16384 characters", new SiteChange
            { DeviceId = "d", DeviceReassigned = new() { ToGroup = "pickers", Reason = new string('r', 16385) } } },
    };

    [Theory]
    [MemberData(nameof(BadChanges))]
    public void A_reassignment_with_a_field_out_of_range_refuses_its_batch_naming_the_field(string expected, SiteChange bad)
    {
        bad.Sequence = 2;
        var batch = new UpstreamBatch { Changes = { bad } };

        var problem = UpstreamRules.Problem(batch);

        Assert.StartsWith("change with sequence 2: " + expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_swap_as_an_appliance_sends_it_passes()
    {
        var batch = new UpstreamBatch
        {
            Changes =
            {
                new SiteChange { Sequence = 1, AtUnixMs = 1_000, DeviceId = "d", DeviceReassigned = new()
                    { FromGroup = "spares", ToGroup = "pickers", ToAssignment = "picker 12", Actor = "site-user:anna", Reason = "swap swap-1: cracked", SwapId = "swap-1" } },
                new SiteChange { Sequence = 2, AtUnixMs = 1_001, DeviceId = "e", DeviceReassigned = new() { FromGroup = "pickers", ToGroup = "pickers", FromAssignment = "picker 12" } },
            },
        };

        Assert.Null(UpstreamRules.Problem(batch));
    }
}
