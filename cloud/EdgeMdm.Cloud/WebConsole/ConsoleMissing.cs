using EdgeMdm.Cloud.WebConsole.Pages;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>A console page for something the tenant does not have (another tenant's is the same: not found), answered 404.</summary>
internal static class ConsoleMissing
{
    public static RazorComponentResult<MissingPage> Page(HttpContext http, string title, string message) =>
        ConsolePages.RenderWithStatus<MissingPage>(http, StatusCodes.Status404NotFound, ("Title", title), ("Message", message));
}
