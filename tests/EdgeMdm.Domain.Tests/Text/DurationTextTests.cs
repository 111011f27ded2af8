using EdgeMdm.Domain.Text;

namespace EdgeMdm.Domain.Tests.Text;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("500ms", 500L)]
    [InlineData("90s", 90_000L)]
    [InlineData("30m", 1_800_000L)]
    [InlineData("8h", 28_800_000L)]
    [InlineData("14d", 1_209_600_000L)]
    [InlineData("1h30m", 5_400_000L)]
    [InlineData("1d2h3m4s5ms", 93_784_005L)]
    [InlineData("0s", 0L)]
    [InlineData("  8h  ", 28_800_000L)]
    public void Operator_duration_is_parsed(string text, long expectedMilliseconds)
    {
        // Act
        var parsed = DurationText.TryParse(text, out var duration);

        // Assert
        Assert.True(parsed);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), duration);
        Assert.Equal(duration, DurationText.Parse(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("8")]
    [InlineData("h")]
    [InlineData("-5m")]
    [InlineData("+5m")]
    [InlineData("5x")]
    [InlineData("5H")]
    [InlineData("5mm")]
    [InlineData("1h 30m")]
    [InlineData("1h30")]
    [InlineData("m5")]
    [InlineData("\u0665m")] // ARABIC-INDIC DIGIT FIVE: a digit, but not an ASCII one
    [InlineData("99999999999d")]
    [InlineData("99999999999999999999999999h")]
    [InlineData("10000000d10000000d")]
    public void Malformed_or_out_of_range_duration_is_refused_without_throwing(string? text)
    {
        // Act
        var exception = Record.Exception(() => DurationText.TryParse(text, out _));
        var parsed = DurationText.TryParse(text, out var duration);

        // Assert
        Assert.Null(exception);
        Assert.False(parsed);
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Fact]
    public void Any_amount_that_fits_in_a_TimeSpan_is_accepted_and_anything_past_it_is_refused()
    {
        // Act / Assert
        Assert.True(DurationText.TryParse("10000000d", out var days));
        Assert.Equal(TimeSpan.FromDays(10_000_000), days);
        Assert.True(DurationText.TryParse("10000001ms", out var milliseconds));
        Assert.Equal(TimeSpan.FromMilliseconds(10_000_001), milliseconds);
        Assert.False(DurationText.TryParse("10675200d1d", out _));
        Assert.False(DurationText.TryParse("20000000d", out _));
    }

    [Fact]
    public void Random_text_never_throws()
    {
        // Arrange: a fixed seed keeps the run reproducible.
        const string alphabet = "0123456789msdh .-+xM";
        var random = new Random(20250601);

        for (var i = 0; i < 20_000; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 16)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

            // Act
            var exception = Record.Exception(() => DurationText.TryParse(text, out _));

            // Assert
            Assert.Null(exception);
        }
    }

    [Fact]
    public void Parse_of_malformed_duration_says_what_forms_are_accepted()
    {
        // Act
        var exception = Assert.Throws<FormatException>(() => DurationText.Parse("8"));

        // Assert
        Assert.Contains("'8'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("30m", exception.Message, StringComparison.Ordinal);
    }
}
