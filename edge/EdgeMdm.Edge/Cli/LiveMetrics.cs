using System.Globalization;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Edge.Cli;

/// <summary>One sample of the Prometheus text the appliance serves at <c>/metrics</c>.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>The serving appliance's live counters, read from its <c>/metrics</c>, for status commands in another process.</summary>
public static class LiveMetrics
{
    /// <summary>How long the serving appliance has to answer before the command says it did not.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Every sample the appliance serving <paramref name="dataDir"/> exports; refused (exit 1, one line) when none serves it,
    /// or when it does not answer within <paramref name="timeout"/> (<see cref="DefaultTimeout"/>).
    /// </summary>
    public static async Task<IReadOnlyList<MetricSample>> ReadAsync(string dataDir, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var (url, pin) = RunningAppliance.Local(dataDir)
            ?? throw new CliException($"no appliance is serving {dataDir} now: live figures come from the running appliance ('{OperatorCommands.Program} serve')");
        using var handler = new SocketsHttpHandler();
        // The appliance's own certificate, recognised by its key as a device does; nothing else is accepted.
        if (pin is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => TlsPin.Matches(certificate, pin);
        using var http = new HttpClient(handler) { Timeout = timeout ?? DefaultTimeout };
        string text;
        try
        {
            text = await http.GetStringAsync(new Uri(url, "/metrics"), cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new CliException($"the appliance serving {dataDir} did not answer at {url}: {exception.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own timeout: a busy or stuck appliance is an answer for the operator, not a stack trace.
            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"the appliance serving {dataDir} did not answer at {url} within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s"));
        }

        return Parse(text);
    }

    /// <summary>The samples of Prometheus text exposition format 0.0.4 (comments and blank lines skipped).</summary>
    public static IReadOnlyList<MetricSample> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<MetricSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var closing = brace < 0 ? -1 : line.LastIndexOf('}');
            var name = brace < 0 ? line[..line.IndexOf(' ', StringComparison.Ordinal)] : line[..brace];
            var rest = (closing < 0 ? line[name.Length..] : line[(closing + 1)..]).Trim().Split(' ')[0];
            if (!double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                continue;
            samples.Add(new MetricSample(name, closing < 0 ? new Dictionary<string, string>(StringComparer.Ordinal) : Labels(line[(brace + 1)..closing]), value));
        }

        return samples;
    }

    /// <summary>The sum of a metric's samples whose labels include every pair of <paramref name="match"/>.</summary>
    public static long Sum(this IReadOnlyList<MetricSample> samples, string name, params (string Key, string Value)[] match) =>
        (long)samples.Where(s => string.Equals(s.Name, name, StringComparison.Ordinal)
                && match.All(m => s.Labels.TryGetValue(m.Key, out var v) && string.Equals(v, m.Value, StringComparison.Ordinal)))
            .Sum(s => s.Value);

    private static Dictionary<string, string> Labels(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            var equals = text.IndexOf('=', i);
            if (equals < 0 || equals + 1 >= text.Length || text[equals + 1] != '"')
                break;
            var key = text[i..equals].Trim(' ', ',');
            var value = new System.Text.StringBuilder();
            var j = equals + 2;
            for (; j < text.Length && text[j] != '"'; j++)
                value.Append(text[j] == '\\' && j + 1 < text.Length ? text[++j] switch { 'n' => '\n', var c => c } : text[j]);
            labels[key] = value.ToString();
            i = j + 1;
        }

        return labels;
    }
}
