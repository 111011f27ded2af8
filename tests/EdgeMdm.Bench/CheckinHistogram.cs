using System.Globalization;

namespace EdgeMdm.Bench;

/// <summary>
/// The appliance's own view of its check-ins: the cumulative buckets of <c>edgemdm.checkin.duration</c> (from the body
/// read to the answer, the commit included; <c>Checkin/CheckinMetrics</c>) as <c>/metrics</c> shows them. The difference
/// of two scrapes is the distribution of the check-ins between them, with none of the load generator's own time in it
/// (its TLS, its scheduling at the least CPU weight): what the server spent against what the devices saw.
/// </summary>
internal sealed record CheckinHistogram(IReadOnlyList<(double UpperSeconds, long Count)> Buckets)
{
    private const string Series = "edgemdm_checkin_duration_seconds_bucket{";

    public static async Task<CheckinHistogram> ScrapeAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
        var buckets = new List<(double, long)>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(Series, StringComparison.Ordinal) || !line.Contains("outcome=\"accepted\"", StringComparison.Ordinal))
                continue;
            var le = line.IndexOf("le=\"", StringComparison.Ordinal) + 4;
            var bound = line[le..line.IndexOf('"', le)];
            var upper = string.Equals(bound, "+Inf", StringComparison.Ordinal) ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture);
            buckets.Add((upper, long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)));
        }

        return new CheckinHistogram(buckets.OrderBy(b => b.Item1).ToList());
    }

    /// <summary>The check-ins counted since <paramref name="before"/>, bucket by bucket.</summary>
    public CheckinHistogram Since(CheckinHistogram before)
    {
        ArgumentNullException.ThrowIfNull(before);
        return new CheckinHistogram(Buckets.Select(b => (b.UpperSeconds, b.Count - before.Buckets.FirstOrDefault(p => p.UpperSeconds.Equals(b.UpperSeconds)).Count)).ToList());
    }

    public long Total => Buckets.Count == 0 ? 0 : Buckets[^1].Count;

    /// <summary>The share answered within <paramref name="seconds"/> (a bucket bound), or NaN when none was counted.</summary>
    public double ShareWithin(double seconds) =>
        Total == 0 ? double.NaN : Buckets.FirstOrDefault(b => b.UpperSeconds >= seconds).Count / (double)Total;

    /// <summary>The bucket the quantile <paramref name="q"/> falls in, as "(lower, upper] ms".</summary>
    public string BucketOf(double q)
    {
        var rank = (long)Math.Ceiling(q * Total);
        var lower = 0.0;
        foreach (var (upper, count) in Buckets)
        {
            if (count >= rank)
                return double.IsPositiveInfinity(upper)
                    ? string.Create(CultureInfo.InvariantCulture, $"above {lower * 1000:0.#} ms")
                    : string.Create(CultureInfo.InvariantCulture, $"({lower * 1000:0.#}, {upper * 1000:0.#}] ms");
            lower = upper;
        }

        return "–";
    }
}
