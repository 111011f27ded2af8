using EdgeMdm.ServiceDefaults.WebPages;
using Microsoft.AspNetCore.Authorization;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// Central IT's console at the root of the hub's REST address: web pages for people, signed in with the hub's
/// accounts under the supervisor page's session rules (<see cref="WebSignInSetup"/>), settings under <c>Cloud:Web</c>.
/// Every page reads and acts through the same stores and checks as the REST API, inside the account's tenant.
/// </summary>
public static class ConsoleRegistration
{
    public const string Section = "Cloud:Web";

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddWebSignIn<SqlWebSessionStore, ConsoleUserCheck>(Section);
        services.AddConsolePolicy();
        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/{name}", (string name) => PageAssets.Serve(name)).AllowAnonymous();
        ConsoleSignIn.Map(app);
        var pages = app.MapGroup("").RequireAuthorization(ConsoleAccess.Policy).AddEndpointFilter<PageHeaders>();
        ((IEndpointConventionBuilder)pages).Add(RequirePermissionByMethod);
        pages.AddEndpointFilter(Audit.AuditFilter.ForConsole);
        SitesPages.Map(pages);
        DevicesPages.Map(pages);
        CommandsPages.Map(pages);
        CustodyPages.Map(pages);
        DriftPages.Map(pages);
        BlueprintPages.Map(pages);
        PackagePages.Map(pages);
        RolloutPages.Map(pages);
        SitePages.Map(pages);
        ApprovalPages.Map(pages);
        return app;
    }

    /// <summary>
    /// The console's pages read (<see cref="HubAuthorization.Read"/>) and its forms act (<see cref="HubAuthorization.Operate"/>),
    /// so a page or form added later is classified by how it is called, with nothing to forget. A form that needs more
    /// (accounts) declares <see cref="HubAuthorization.Administer"/> itself, which then applies as well.
    /// </summary>
    private static void RequirePermissionByMethod(EndpointBuilder endpoint)
    {
        var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().SelectMany(m => m.HttpMethods).ToList();
        var reads = methods.Count > 0 && methods.All(m => HttpMethods.IsGet(m) || HttpMethods.IsHead(m));
        endpoint.Metadata.Add(new AuthorizeAttribute(reads ? HubAuthorization.Read : HubAuthorization.Operate));
    }
}
