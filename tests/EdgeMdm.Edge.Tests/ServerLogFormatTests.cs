using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeMdm.Edge.Hosting;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.Testing;
using Microsoft.Extensions.Configuration;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The console log of the appliance's own program (a process of its own, its standard output read as journald or a log
/// shipper reads it): JSON with <c>--log-format json</c>, journald's format when systemd's journal is its console.
/// </summary>
public sealed class ServerLogFormatTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-logs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// The console lines of <c>edgemdm-edge serve</c> on plain loopback HTTP until Kestrel says where it listens; the
    /// process is then killed. <paramref name="journalStream"/> is what systemd sets when the journal is the console.
    /// </summary>
    private async Task<List<string>> LinesUntilListeningAsync(string? journalStream, params string[] extraArgs)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "edgemdm-edge"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] args = ["serve", "--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(_directory, "data"), "--seed", EdgeServer.SeedPath, .. extraArgs];
        foreach (var argument in args)
            start.ArgumentList.Add(argument);
        start.Environment.Remove("JOURNAL_STREAM");
        start.Environment.Remove("INVOCATION_ID");
        if (journalStream is not null)
        {
            start.Environment["JOURNAL_STREAM"] = journalStream;
            start.Environment["INVOCATION_ID"] = "0123456789abcdef0123456789abcdef";
        }

        using var process = Process.Start(start)!;
        // What the process logs goes where every test's log goes, for scan-test-logs.sh (a secret in a log is a leak).
        process.ErrorDataReceived += (_, e) => TestLogFiles.Append("edgemdm-edge serve", e.Data ?? "");
        process.BeginErrorReadLine();
        var lines = new List<string>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                TestLogFiles.Append("edgemdm-edge serve", line);
                if (line.Contains("Now listening on", StringComparison.Ordinal))
                    return lines;
            }

            Assert.Fail("the appliance stopped before it listened: " + string.Join('\n', lines));
            return lines;
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task With_log_format_json_every_console_line_is_one_json_object_with_its_event_id_and_category()
    {
        // Act
        var lines = await LinesUntilListeningAsync(journalStream: null, "--log-format", "json");

        // Assert
        Assert.All(lines, line =>
        {
            using var entry = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Number, entry.RootElement.GetProperty("EventId").ValueKind);
            Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("Category").GetString()));
            Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("LogLevel").GetString()));
            Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("Timestamp").GetString()));
        });
        using var listening = JsonDocument.Parse(lines[^1]);
        Assert.Equal("Microsoft.Hosting.Lifetime", listening.RootElement.GetProperty("Category").GetString());
        Assert.Equal(14, listening.RootElement.GetProperty("EventId").GetInt32());
    }

    [Fact]
    public async Task With_the_journal_as_its_console_each_event_is_one_line_with_its_syslog_priority_and_no_colour()
    {
        // Act
        var lines = await LinesUntilListeningAsync(journalStream: "8:12345");

        // Assert: "<6>Category[EventId] message", nothing else (no ANSI escape, no timestamp: journald keeps its own)
        var journald = new Regex(@"^<[0-7]>[A-Za-z0-9_.`]+\[\d+\] \S", RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1));
        Assert.All(lines, line => Assert.Matches(journald, line));
        Assert.DoesNotContain(lines, line => line.Contains('\u001b', StringComparison.Ordinal));
        Assert.StartsWith("<6>Microsoft.Hosting.Lifetime[14] Now listening on: http://127.0.0.1:", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_systemd_the_console_keeps_the_simple_one_line_format_unless_one_is_asked_for()
    {
        // Arrange
        var none = new ConfigurationBuilder().Build();
        var json = new ConfigurationBuilder().AddCommandLine(["--log-format", "json"], CommandLineSwitches.Mappings.ToDictionary(StringComparer.Ordinal)).Build();
        var unknown = new ConfigurationBuilder().AddInMemoryCollection([new(ServerLogging.FormatKey, "xml")]).Build();

        // Act and Assert: what tests and `make run` read ("HH:mm:ss info: Category[EventId] message") stays the default
        Assert.Equal("simple", ServerLogging.FormatFor(none, _ => null));
        Assert.Equal("systemd", ServerLogging.FormatFor(none, name => string.Equals(name, "JOURNAL_STREAM", StringComparison.Ordinal) ? "8:1" : null));
        Assert.Equal("json", ServerLogging.FormatFor(json, name => string.Equals(name, "JOURNAL_STREAM", StringComparison.Ordinal) ? "8:1" : null));
        Assert.Null(ServerLogging.FormatFor(unknown, _ => null));
    }

    [Fact]
    public void An_unknown_log_format_stops_the_start_naming_the_formats()
    {
        // Act
        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            EdgeHost.Build(["--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(_directory, "data"), "--log-format", "xml"]));

        // Assert: `serve` prints it as "invalid settings: ..." and exits 2
        Assert.Equal("--log-format (Logging:Console:FormatterName) must be one of json, simple, systemd, not 'xml'", Assert.Single(refused.Failures));
    }
}
