namespace EdgeMdm.Cli.Packages;

/// <summary><c>packages upload | list</c>: the tenant's package catalog.</summary>
internal static class PackagesCommands
{
    public static Command Create(CliSession cli) =>
        new("packages", "the tenant's package catalog: upload files, list signed manifests") { Upload(cli), List(cli) };

    private static Command Upload(CliSession cli)
    {
        var file = new Argument<string>("file") { Description = "the package file (an APK or any file), streamed to the hub" };
        var packageName = new Option<string>("--package-name") { Description = "Android package name, e.g. com.acme.scan", Required = true };
        var versionCode = new Option<long>("--version-code") { Description = "the integer version blueprints and rollouts target", Required = true };
        var versionName = new Option<string>("--version-name") { Description = "the version people read, e.g. 4.1.2", Required = true };
        var minOs = new Option<string>("--min-os") { Description = "oldest OS version it installs on, e.g. 11 or 8.1 (default: any)" };
        var json = CliOptions.Json();
        var upload = new Command(
            "upload",
            "upload a package file: the hub stores it under its SHA-256, signs its manifest and sends it to every site of the tenant. " +
            "Prints the SHA-256 (the signed manifest with --json); the same file again changes nothing")
        {
            file, packageName, versionCode, versionName, minOs, json,
        };
        upload.SetAction(async (result, cancellationToken) =>
        {
            var path = result.GetValue(file)!;
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"package file {path}: {exception.Message}");
            }

            await using (stream)
            {
                // No overall timeout: a large package on a slow line takes as long as it takes.
                using var hub = cli.Connect(result, Timeout.InfiniteTimeSpan);
                var package = PackageRow.Of(await hub.UploadPackageAsync(
                    stream, result.GetValue(packageName)!, result.GetValue(versionCode), result.GetValue(versionName)!,
                    NonEmpty(result.GetValue(minOs)), cancellationToken));
                return cli.Print(result, json, package, CliJson.Default.PackageRow, () => cli.Output.WriteLine(package.Sha256));
            }
        });
        return upload;
    }

    private static Command List(CliSession cli)
    {
        var packageName = new Option<string>("--package-name") { Description = "only the versions of this package" };
        var json = CliOptions.Json();
        var list = new Command("list", "the tenant's packages, by name then version code") { packageName, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var packages = (await hub.ListPackagesAsync(NonEmpty(result.GetValue(packageName)), cancellationToken))
                .Select(PackageRow.Of)
                .OrderBy(p => p.PackageName, StringComparer.Ordinal).ThenBy(p => p.VersionCode)
                .ToList();
            return cli.Print(result, json, packages, CliJson.Default.ListPackageRow, () =>
                TextTable.Write(
                    cli.Output,
                    ["PACKAGE", "VERSION", "CODE", "SIZE", "MIN-OS", "SHA256", "PUBLISHED"],
                    packages.Select(p => new[]
                    {
                        p.PackageName, p.VersionName, p.VersionCode is { } code ? Number(code) : "-", p.SizeBytes is { } size ? Number(size) : "-",
                        p.MinOsVersion ?? "-", p.Sha256, Time(p.PublishedAt),
                    })));
        });
        return list;
    }
}
