using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults.WebPages;

/// <summary>
/// The pages' stylesheet and script, built into the binary (no CDN, no web font: the site works with no internet).
/// Served by name only from this fixed set; anything else is a 404.
/// </summary>
public static class PageAssets
{
    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Assets = Load();

    public static IResult Serve(string name)
    {
        if (!Assets.TryGetValue(name, out var asset))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: "no such asset");
        return new AssetResult(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(PageAssets).Assembly;
        var found = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var (name, type) in new[] { ("site.css", "text/css; charset=utf-8"), ("live.js", "text/javascript; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream("EdgeMdm.ServiceDefaults.WebPages.Assets." + name)
                ?? throw new InvalidOperationException($"the page asset {name} is not built into this server");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            found[name] = (copy.ToArray(), type);
        }

        return found.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed class AssetResult(byte[] bytes, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = contentType;
            response.ContentLength = bytes.Length;
            // The appliance's version decides the assets: an hour's caching spares a site PC's every page load.
            response.Headers.CacheControl = "private, max-age=3600";
            response.Headers.XContentTypeOptions = "nosniff";
            return response.Body.WriteAsync(bytes, httpContext.RequestAborted).AsTask();
        }
    }
}
