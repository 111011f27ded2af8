using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// How a server writes its log to the console, and its life under systemd. Outside systemd the console keeps the one-line
/// simple format tests and <c>make run</c> read. Under systemd (a unit with <c>Type=notify</c>) the host tells systemd
/// when it is ready and stopping, and when the console is the journal (<c>JOURNAL_STREAM</c>) each event is one line
/// with its syslog priority prefix (<c>&lt;6&gt;</c>), no colours and no timestamp of its own: journald keeps the time
/// and the priority. <c>--log-format json</c> (<c>Logging:Console:FormatterName=json</c>) writes one JSON object per
/// line instead, with the event id and category, for a log shipper; <c>--log-format systemd|simple</c> chooses the
/// others whatever the environment.
/// </summary>
public static class ServerLogging
{
    /// <summary>The command-line switch, mapped to <see cref="FormatKey"/>.</summary>
    public const string FormatSwitch = "--log-format";

    /// <summary>The configuration key the console logger itself reads its formatter's name from.</summary>
    public const string FormatKey = "Logging:Console:FormatterName";

    /// <summary>What systemd sets for a service whose standard output or error goes to the journal.</summary>
    public const string JournalStreamVariable = "JOURNAL_STREAM";

    private static readonly HashSet<string> Formats =
        new([ConsoleFormatterNames.Simple, ConsoleFormatterNames.Systemd, ConsoleFormatterNames.Json], StringComparer.Ordinal);

    /// <summary>
    /// The console formatter to use: the configured one (<see cref="FormatKey"/>), else systemd's when the console is
    /// the journal, else the simple one. Null when the configured name is none of them.
    /// </summary>
    public static string? FormatFor(IConfiguration configuration, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        var configured = configuration[FormatKey];
        if (!string.IsNullOrWhiteSpace(configured))
            return Formats.Contains(configured.Trim()) ? configured.Trim() : null;
        return string.IsNullOrEmpty(environment(JournalStreamVariable)) ? ConsoleFormatterNames.Simple : ConsoleFormatterNames.Systemd;
    }

    /// <summary>
    /// The server's console log (see the class) and systemd's service lifetime; call after the host's own console setup.
    /// An unknown <see cref="FormatKey"/> stops the start with one line naming the formats.
    /// </summary>
    public static TBuilder AddServerLogging<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Readiness and stopping notifications for Type=notify, and the journal's format when systemd started the
        // process; both do nothing elsewhere.
        builder.Services.AddSystemd();
        var format = FormatFor(builder.Configuration, Environment.GetEnvironmentVariable)
            ?? throw new OptionsValidationException(Options.DefaultName, typeof(ConsoleLoggerOptions), [
                $"{FormatSwitch} ({FormatKey}) must be one of {string.Join(", ", Formats.Order(StringComparer.Ordinal))}, not '{builder.Configuration[FormatKey]}'"]);
        builder.Logging.AddJsonConsole(json =>
        {
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
        // journald stamps each line itself.
        builder.Logging.AddSystemdConsole(systemd => systemd.TimestampFormat = null);
        // After every Configure (the host's simple console, the two above, AddSystemd's): the decision above is final.
        builder.Services.PostConfigure<ConsoleLoggerOptions>(console => console.FormatterName = format);
        return builder;
    }
}
