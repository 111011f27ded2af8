using System.Net;
using System.Net.Sockets;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// An operator command that asks the serving appliance for its live figures (<c>sync status</c>, <c>mqtt status</c>) while
/// it is too busy to answer must say so in one line, not die with a stack trace: the clock-jump drill saw exit 134 there.
/// </summary>
public sealed class LiveMetricsTimeoutTests
{
    [Fact]
    public async Task An_appliance_that_does_not_answer_in_time_is_a_one_line_refusal()
    {
        // A listener that accepts and never answers stands in for a stuck appliance; serve.json points the command at it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var dataDir = Directory.CreateTempSubdirectory("edgemdm-live-metrics-").FullName;
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(dataDir, "serve.json"),
                $$"""{"pid":{{Environment.ProcessId}},"urls":["http://127.0.0.1:{{port}}"]}""");

            var refusal = await Assert.ThrowsAsync<CliException>(() => LiveMetrics.ReadAsync(dataDir, CancellationToken.None, TimeSpan.FromMilliseconds(300)));

            Assert.Contains("did not answer", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("within 0.3 s", refusal.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', refusal.Message);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
