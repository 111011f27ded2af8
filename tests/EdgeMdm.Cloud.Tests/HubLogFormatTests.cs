using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's console log format switch (<see cref="ServerLogging"/>, shared with the appliance, whose tests read the
/// lines of its real process).
/// </summary>
public sealed class HubLogFormatTests
{
    [Theory]
    [InlineData("json")]
    [InlineData("systemd")]
    public async Task The_hub_writes_its_console_log_in_the_format_asked_for(string format)
    {
        // Act
        await using var hub = await RunningHub.StartAsync("--log-format", format);

        // Assert
        Assert.Equal(format, hub.App.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }

    [Fact]
    public async Task An_unknown_log_format_stops_the_hub_naming_the_formats()
    {
        // Act
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningHub.StartAsync("--log-format", "xml"));

        // Assert
        Assert.Equal($"{ServerLogging.FormatSwitch} ({ServerLogging.FormatKey}) must be one of json, simple, systemd, not 'xml'", Assert.Single(refused.Failures));
    }
}
