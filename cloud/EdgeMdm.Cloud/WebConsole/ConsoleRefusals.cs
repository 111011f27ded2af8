using EdgeMdm.Cloud.WebConsole.Pages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// What the console's pages answer when the REST API would refuse: the refusal a shared check gave (problem details)
/// told in words on the page, and "not found" as a page of its own.
/// </summary>
public static class ConsoleRefusals
{
    /// <summary>
    /// The status a page answers with and the text it shows for <paramref name="refusal"/>: invalid fields (the REST
    /// API's 400) are 422 on a page, whose form was well formed but said something the hub refuses; each field named
    /// with what is wrong with it. Others keep their status (404, 409, 422) and say their detail.
    /// </summary>
    public static (int Status, string Text) Explain(IResult refusal) => refusal switch
    {
        IValueHttpResult<HttpValidationProblemDetails> { Value: { } invalid } =>
            (StatusCodes.Status422UnprocessableEntity, string.Join("; ", invalid.Errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"))),
        IValueHttpResult<ProblemDetails> { Value: { } problem } =>
            ((refusal as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status400BadRequest, problem.Detail ?? problem.Title ?? "refused"),
        _ => (StatusCodes.Status400BadRequest, "refused"),
    };

    /// <summary>404 with the console's frame: <paramref name="what"/> is unknown, or another tenant's (the same to the reader).</summary>
    internal static RazorComponentResult<NotFoundPage> NotFound(HttpContext http, string what) =>
        ConsolePages.RenderWithStatus<NotFoundPage>(http, StatusCodes.Status404NotFound, ("What", what));
}

/// <summary>Addresses of the console's pages that other pages link to.</summary>
public static class ConsoleLinks
{
    /// <summary>One device's page.</summary>
    public static string Device(string siteId, string deviceId) =>
        "/devices/" + Uri.EscapeDataString(siteId) + "/" + Uri.EscapeDataString(deviceId);
}
