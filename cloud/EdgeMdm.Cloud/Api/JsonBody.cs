using System.Text.Json.Serialization.Metadata;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// Reads a JSON request body with the answers RFC 9457 clients expect: 415 for a wrong content type, 400 naming the
/// field for malformed JSON or a value of the wrong type. The size limit is Kestrel's
/// (<see cref="Options.HubOptions.MaxRestBodyBytes"/>, answered 413); a body Kestrel refuses while it arrives
/// (malformed chunks, too slow, too large) throws its <see cref="BadHttpRequestException"/> out of here, for the
/// service defaults' fault handler to answer.
/// </summary>
internal static class JsonBody
{
    /// <returns>The value, or the problem to answer instead (never both).</returns>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (ProblemResults.UnlessJson(request) is { } unsupported)
            return (null, unsupported);

        // The whole body first (bounded by Kestrel's limit): a failed read can then be looked at again.
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
        return ProblemResults.ParseJson(new ReadOnlySpan<byte>(body.GetBuffer(), 0, (int)body.Length), typeInfo);
    }

    /// <summary>
    /// The body of a call on one of the tenant's sites (<c>/sites/{siteId}/...</c>): 404 for a site the tenant does not
    /// have, checked before the body is read; then as <see cref="ReadAsync{T}"/>.
    /// </summary>
    public static async Task<(T? Value, IResult? Problem)> ReadForSiteAsync<T>(
        HttpRequest request, ISiteRegistry sites, string tenant, string siteId, JsonTypeInfo<T> typeInfo, CancellationToken ct)
        where T : class =>
        await sites.SiteExistsAsync(tenant, siteId, ct) ? await ReadAsync(request, typeInfo) : (null, Problems.NoSite(siteId));
}
