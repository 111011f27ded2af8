using EdgeMdm.Cloud.WebConsole.Pages;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>One package name's published versions, newest (highest version code) first.</summary>
public sealed record PackageVersions(string PackageName, IReadOnlyList<PackageView> Versions);

/// <summary>The package catalog at <c>/packages</c> (<c>?package=NAME</c> for one), as <c>GET /api/v1/packages</c> lists it.</summary>
internal static class PackagePages
{
    /// <summary>The most versions the page lists (a catalog is rarely longer; the filter narrows a long one).</summary>
    public const int MaxRows = 500;

    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/packages", CatalogAsync);

    private static async Task<RazorComponentResult<PackagesPage>> CatalogAsync(string? package, HttpContext http, IPackageStore packages, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(package) ? null : package.Trim();
        var all = await packages.ListPackagesAsync(ConsoleAccess.Tenant(http.User), name, ct);
        var shown = all
            .Select(PackageView.Of)
            .GroupBy(p => p.PackageName, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new PackageVersions(g.Key, [.. g.OrderByDescending(p => p.VersionCode)]))
            .ToList();
        return ConsolePages.Render<PackagesPage>(http, ("Packages", Capped(shown)), ("Total", all.Count), ("Filter", name));
    }

    /// <summary>The first <see cref="MaxRows"/> versions, whole packages first.</summary>
    private static List<PackageVersions> Capped(List<PackageVersions> packages)
    {
        var left = MaxRows;
        var capped = new List<PackageVersions>();
        foreach (var package in packages)
        {
            if (left <= 0)
                break;
            capped.Add(package.Versions.Count <= left ? package : package with { Versions = [.. package.Versions.Take(left)] });
            left -= package.Versions.Count;
        }

        return capped;
    }
}
