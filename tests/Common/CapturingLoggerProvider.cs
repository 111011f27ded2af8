using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Testing;

public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>
/// Keeps every log line a test app writes, so a test can assert what an operator would read; each line also goes to the
/// suite's log files (<see cref="TestLogFiles"/>), which are checked for secrets after the tests.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = new LogEntry(category, logLevel, eventId, formatter(state, exception), exception);
            entries.Enqueue(entry);
            TestLogFiles.Append(category, exception is null ? entry.Message : entry.Message + " " + exception);
        }
    }
}
