using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Packages;

/// <summary><c>edgemdm-edge cache status</c>.</summary>
public static class PackagesCli
{
    public static Command Cache(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var status = commands.Create("status", "the package cache: bytes held against the quota, hits, misses, fetches still pending", [], cli =>
        {
            var report = BlobCache.Describe(cli.Get<IPackageCacheStore>(), cli.Get<IPinnedPackages>(), BlobCache.DirectoryIn(cli.Get<EdgeStorage>().DataDirectory));
            return cli.Print(report, () =>
            {
                var quota = report.QuotaBytes > 0 ? $" of {CliText.Bytes(report.QuotaBytes)}" : "";
                Console.WriteLine($"held         {CliText.Bytes(report.Bytes)}{quota} in {report.Blobs} blobs{(report.OverQuota ? " (OVER QUOTA: blueprints name more than it allows)" : "")}");
                Console.WriteLine($"downloads    {report.Hits} hits, {report.Misses} misses");
                Console.WriteLine($"failures     {report.FetchFailures} blobs that did not verify");
                Console.WriteLine($"pending      {report.Pending.Count} fetches");
                if (report.Pending.Count > 0)
                {
                    Table.Write(
                        ["PACKAGE", "VERSION", "HELD", "SIZE", "SHA256"],
                        report.Pending.Select(p => new[] { p.PackageName, p.VersionCode.ToString(CultureInfo.InvariantCulture), CliText.Bytes(p.BytesHeld), CliText.Bytes(p.SizeBytes), p.Sha256 }));
                }
            });
        });
        return new Command("cache", "the site's package cache (blobs fetched from the hub for devices)") { status };
    }
}
