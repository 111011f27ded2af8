using EdgeMdm.Edge.SiteUsers;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeMdm.Discovery.Service;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Spares;

/// <summary>
/// A swap command sent to the appliance serving the data directory, over its https with the pin it wrote in
/// <c>serve.json</c> and the local operator token: only that process holds the cradles whose LEDs a swap lights.
/// </summary>
internal static class LiveSwaps
{
    /// <summary>The swap as the appliance answered it; null when no appliance serves <paramref name="dataDir"/> (do it on the data directory).</summary>
    public static async Task<SwapView?> PostAsync<TBody>(string dataDir, string path, TBody body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TBody> type)
    {
        if (RunningAppliance.Local(dataDir) is not { } local)
            return null;
        var (url, pin) = (local.Url, local.Pin);
        var token = SiteOperatorAuthentication.ReadToken(dataDir)
            ?? throw new CliException($"the appliance serving {dataDir} wrote no {SiteOperatorAuthentication.TokenFile}; restart it with this version");
        using var handler = new SocketsHttpHandler();
        if (pin is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => TlsPin.Matches(certificate, pin);
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url, path)) { Content = JsonContent.Create(body, type) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add(SiteOperatorAuthentication.OperatorHeader, Environment.UserName);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException exception)
        {
            throw new CliException($"the appliance serving {dataDir} did not answer at {url}: {exception.Message}");
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
                return await response.Content.ReadFromJsonAsync(SparesJson.Default.SwapView) ?? throw new CliException("the appliance answered no swap");
            throw new CliException(await ProblemTextAsync(response));
        }
    }

    private static async Task<string> ProblemTextAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                return string.Join("; ", errors.EnumerateObject().Select(e => e.Name + " " + string.Join(", ", e.Value.EnumerateArray().Select(v => v.GetString()))));
            if (root.TryGetProperty("detail", out var detail))
                return detail.GetString() ?? response.ReasonPhrase ?? "refused";
        }
        catch (JsonException)
        {
            // Not a problem document: the status says enough.
        }

        return $"the appliance answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }
}
