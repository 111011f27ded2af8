using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class WaveAssignmentTests
{
    private static readonly RolloutPlan Plan = RolloutPlanTests.PilotsThenPercentages();
    private static readonly string[] NoGroups = [];

    private static IEnumerable<string> DeviceIds(int count) =>
        Enumerable.Range(0, count).Select(i => "dev-" + i.ToString("D5", CultureInfo.InvariantCulture));

    [Fact]
    public void The_bucket_is_the_documented_hash_so_hub_and_site_agree()
    {
        // Arrange: the formula written out independently of the code under test
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("rollout-7\ndev-00042"));
        var expected = (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % 10_000);

        // Act / Assert
        Assert.Equal(expected, WaveAssignment.Bucket("rollout-7", "dev-00042"));
    }

    [Fact]
    public void A_device_stays_in_its_wave_on_every_call()
    {
        // Act
        var first = DeviceIds(200).Select(d => WaveAssignment.WaveOf(Plan, "rollout-7", d, NoGroups)).ToList();
        var again = DeviceIds(200).Select(d => WaveAssignment.WaveOf(Plan, "rollout-7", d, NoGroups)).ToList();

        // Assert
        Assert.Equal(first, again);
    }

    [Fact]
    public void Pilots_come_first_whatever_their_hash()
    {
        // Arrange
        var plan = Plan with { Waves = [new PilotWave("pilots"), new PilotWave("night-shift"), new PercentageWave(100)] };

        // Act / Assert
        Assert.All(DeviceIds(100), d => Assert.Equal(0, WaveAssignment.WaveOf(plan, "r", d, ["pickers", "pilots"])));
        Assert.All(DeviceIds(100), d => Assert.Equal(1, WaveAssignment.WaveOf(plan, "r", d, ["night-shift"])));
        Assert.All(DeviceIds(100), d => Assert.Equal(0, WaveAssignment.WaveOf(plan, "r", d, ["night-shift", "pilots"])));
        Assert.All(DeviceIds(100), d => Assert.Equal(2, WaveAssignment.WaveOf(plan, "r", d, ["pickers"])));
    }

    [Fact]
    public void Group_names_match_exactly()
    {
        Assert.NotEqual(0, WaveAssignment.WaveOf(Plan, "r", "dev-1", ["Pilots"]));
    }

    [Fact]
    public void Percentage_waves_take_cumulative_shares_of_the_devices_no_pilot_took()
    {
        // Arrange
        const int devices = 20_000;

        // Act
        var perWave = DeviceIds(devices)
            .Select(d => WaveAssignment.WaveOf(Plan, "rollout-7", d, NoGroups))
            .GroupBy(w => w)
            .ToDictionary(g => g.Key, g => g.Count());

        // Assert: every device in exactly one wave, none in the pilot wave, shares 10 / 40 / 50 %
        Assert.Equal(devices, perWave.Values.Sum());
        Assert.False(perWave.ContainsKey(0));
        Assert.InRange(perWave[1], devices * 0.09, devices * 0.11);
        Assert.InRange(perWave[2], devices * 0.38, devices * 0.42);
        Assert.InRange(perWave[3], devices * 0.48, devices * 0.52);
    }

    [Fact]
    public void The_wave_follows_the_bucket_at_the_percentage_boundaries()
    {
        // Act / Assert: below 1000 basis points is the 10 % wave, below 5000 the 50 % wave, the rest the last
        Assert.All(DeviceIds(2_000), d =>
        {
            var bucket = WaveAssignment.Bucket("rollout-7", d);
            var expected = bucket < 1_000 ? 1 : bucket < 5_000 ? 2 : 3;
            Assert.Equal(expected, WaveAssignment.WaveOf(Plan, "rollout-7", d, NoGroups));
        });
    }

    [Fact]
    public void Another_rollout_puts_other_devices_first()
    {
        // Act
        var firstOfA = DeviceIds(1_000).Where(d => WaveAssignment.WaveOf(Plan, "rollout-a", d, NoGroups) == 1).ToHashSet(StringComparer.Ordinal);
        var firstOfB = DeviceIds(1_000).Where(d => WaveAssignment.WaveOf(Plan, "rollout-b", d, NoGroups) == 1).ToHashSet(StringComparer.Ordinal);

        // Assert: independent draws overlap by about 10 % of 10 %, never wholly
        Assert.NotEmpty(firstOfA);
        Assert.True(firstOfA.Intersect(firstOfB).Count() < firstOfA.Count / 2);
    }

    [Fact]
    public void The_separator_keeps_rollout_and_device_ids_apart()
    {
        Assert.NotEqual(WaveAssignment.Bucket("ab", "c"), WaveAssignment.Bucket("a", "bc"));
    }

    [Fact]
    public void A_device_no_wave_covers_in_an_invalid_plan_lands_in_the_last_wave()
    {
        // Arrange: a plan that stops at 1 %, which validation refuses
        var plan = Plan with { Waves = [new PercentageWave(1)] };
        var uncovered = DeviceIds(100).First(d => WaveAssignment.Bucket("r", d) >= 100);

        // Act / Assert
        Assert.Equal(0, WaveAssignment.WaveOf(plan, "r", uncovered, NoGroups));
    }
}
