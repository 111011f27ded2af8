using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Domain.Tests.Drift;

public sealed class VersionComparerTests
{
    [Theory]
    [InlineData("13", "13", 0)]
    [InlineData("13", "13.0", 0)]
    [InlineData("13.0.0", "13", 0)]
    [InlineData("013", "13", 0)]
    [InlineData("13", "13.0.1", -1)]
    [InlineData("9", "10", -1)]
    [InlineData("13.9", "13.10", -1)]
    [InlineData("12.9.9", "13", -1)]
    [InlineData("14-beta", "14", -1)]
    [InlineData("14.0-beta", "14.0", -1)]
    [InlineData("alpha", "beta", -1)]
    public void Versions_compare_number_by_number(string left, string right, int expectedSign)
    {
        // Act
        var forward = VersionComparer.Compare(left, right);
        var backward = VersionComparer.Compare(right, left);

        // Assert: the order is antisymmetric, whichever side the floor is on.
        Assert.Equal(expectedSign, Math.Sign(forward));
        Assert.Equal(-expectedSign, Math.Sign(backward));
    }

    [Theory]
    [InlineData("14-beta", "1")]
    [InlineData("14.x", "14.0")]
    [InlineData("13.", "13")]
    public void Part_that_is_not_a_number_ranks_below_every_number(string text, string number)
    {
        // A pre-release or malformed part must never pass a floor, so it is placed below all numbers.
        Assert.True(VersionComparer.Compare(text, number) < 0);
    }

    [Fact]
    public void Null_versions_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => VersionComparer.Compare(null!, "13"));
        Assert.Throws<ArgumentNullException>(() => VersionComparer.Compare("13", null!));
    }
}
