using EdgeMdm.Domain.Text;

namespace EdgeMdm.Domain.Tests.Text;

public sealed class DurationFormatTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("20s", 20_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2d", 172_800_000)]
    [InlineData(" 20s ", 20_000)]
    [InlineData("0s", 0)]
    public void Valid_duration_is_parsed(string text, long milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("20")]
    [InlineData("abc")]
    [InlineData("5x")]
    [InlineData("-5s")]
    [InlineData("5S")]
    [InlineData("s")]
    [InlineData("5 s")]
    [InlineData("1.2.3s")]
    [InlineData("99999999999999999999999999d")]
    public void Invalid_duration_is_refused(string? text) =>
        Assert.False(DurationText.TryParse(text, out _));

    [Theory]
    [InlineData(500, "500ms")]
    [InlineData(20_000, "20s")]
    [InlineData(300_000, "5m")]
    [InlineData(3_600_000, "1h")]
    [InlineData(1_500, "1500ms")]
    public void Duration_is_formatted_in_its_largest_exact_unit(long milliseconds, string expected) =>
        Assert.Equal(expected, DurationText.Format(TimeSpan.FromMilliseconds(milliseconds)));
}
