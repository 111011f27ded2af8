using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>Renders a console page with its parameters and the signed-in person (every page's frame shows who).</summary>
internal static class ConsolePages
{
    public static RazorComponentResult<TPage> Render<TPage>(HttpContext http, params (string Name, object? Value)[] parameters)
        where TPage : IComponent => RenderWithStatus<TPage>(http, StatusCodes.Status200OK, parameters);

    public static RazorComponentResult<TPage> RenderWithStatus<TPage>(HttpContext http, int status, params (string Name, object? Value)[] parameters)
        where TPage : IComponent
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(parameters);
        var all = new Dictionary<string, object?>(StringComparer.Ordinal) { ["User"] = http.User };
        foreach (var (name, value) in parameters)
            all[name] = value;
        return new RazorComponentResult<TPage>(all) { StatusCode = status };
    }
}
