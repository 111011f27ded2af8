using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace EdgeMdm.Edge.Cli;

/// <summary>
/// Where the appliance serving a data directory listens, so that an operator command can ask it for what lives only in
/// its memory (the live counters at <c>/metrics</c>). <c>serve</c> writes <c>DATA/serve.json</c> once Kestrel listens and
/// removes it when it stops; a file left by a process that died is recognised by its process id.
/// </summary>
public static class RunningAppliance
{
    private const string FileName = "serve.json";

    /// <summary>
    /// How an operator command on this machine reaches the serving appliance: its https URL with the pin of the certificate
    /// it serves, else its plain HTTP one; null when none serves <paramref name="dataDir"/>.
    /// </summary>
    public static LocalAppliance? Local(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path))
            return null;
        using var record = JsonDocument.Parse(File.ReadAllBytes(path));
        var pid = record.RootElement.GetProperty("pid").GetInt32();
        if (!IsRunning(pid))
            return null;
        var urls = record.RootElement.GetProperty("urls").EnumerateArray()
            .Select(u => Uri.TryCreate(u.GetString()?.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .ToList();
        var pin = record.RootElement.TryGetProperty("tlsPin", out var pinned) ? pinned.GetString() : null;
        // Plain HTTP beside https only redirects, so https is asked whenever its pin is known.
        var url = (pin is null ? null : urls.Find(u => string.Equals(u.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)))
            ?? urls.Find(u => string.Equals(u.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal));
        if (url is null)
            return null;
        // A wildcard listener is reached on this machine through loopback.
        var host = url.Host is "0.0.0.0" ? "127.0.0.1" : url.Host is "[::]" or "::" ? "[::1]" : url.Host;
        return new LocalAppliance(new UriBuilder(url) { Host = host }.Uri, string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal) ? pin : null);
    }

    /// <summary>Every URL the appliance serving <paramref name="dataDir"/> listens on, as it wrote them (wildcards kept); empty when none serves it.</summary>
    public static IReadOnlyList<Uri> ListenUrls(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path))
            return [];
        using var record = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!IsRunning(record.RootElement.GetProperty("pid").GetInt32()))
            return [];
        return record.RootElement.GetProperty("urls").EnumerateArray()
            .Select(u => Uri.TryCreate(u.GetString()?.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .ToList();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Writes <c>serve.json</c> once the server listens, and removes it at shutdown.</summary>
    /// <param name="servedPin">The pin of the certificate https is served with; asked only when the server listens on https.</param>
    internal sealed class Recorder(IServer server, IHostApplicationLifetime lifetime, string dataDir, Func<string> servedPin) : IHostedService
    {
        private readonly string _path = Path.Combine(dataDir, FileName);

        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(Write);
            lifetime.ApplicationStopping.Register(() => File.Delete(_path));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        private void Write()
        {
            var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var temporary = _path + ".tmp";
            using (var file = File.Create(temporary))
            using (var json = new Utf8JsonWriter(file))
            {
                json.WriteStartObject();
                json.WriteNumber("pid", Environment.ProcessId);
                json.WriteString("startedAt", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                json.WriteStartArray("urls");
                foreach (var url in urls)
                    json.WriteStringValue(url);
                json.WriteEndArray();
                if (urls.Any(url => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
                    json.WriteString("tlsPin", servedPin());
                json.WriteEndObject();
            }

            File.Move(temporary, _path, overwrite: true);
        }
    }
}

/// <summary>Where the serving appliance answers on this machine, and the pin of its certificate when that is https.</summary>
public sealed record LocalAppliance(Uri Url, string? Pin);
