using System.Globalization;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Counts as Prometheus scrapes them from a hub's <c>/metrics</c>. A meter listener sees every meter of its name in the
/// process, so a test compares a scrape after with one before, and one that other tests could move runs alone.
/// </summary>
internal static class MetricsScrape
{
    public static Task<string> ScrapeAsync(RunningHub hub) => hub.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    /// <summary>Waits out the exporter's scrape cache (a fraction of a second) for the count to show.</summary>
    public static async Task AssertCountedAsync(RunningHub hub, string before, string name, string label, double expected)
    {
        var counted = 0.0;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            counted = Total(await ScrapeAsync(hub), name, label) - Total(before, name, label);
            if (counted >= expected)
                break;
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Assert.True(counted == expected, $"{name}{{{label}}}: expected {expected} more, got {counted}");
    }

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels hold <paramref name="label"/>.</summary>
    private static double Total(string metrics, string name, string label) => metrics
        .Split('\n')
        .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf('}') + 2)..].Split(' ')[0], CultureInfo.InvariantCulture)); // name{labels} value [timestamp]
}
