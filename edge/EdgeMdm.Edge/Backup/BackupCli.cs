using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Site;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults.Backups;

namespace EdgeMdm.Edge.Backup;

/// <summary>
/// <c>backup FILE</c> (while the appliance serves), <c>restore FILE [--force]</c> and <c>factory-reset [--confirm NAME]</c>
/// (both only while none serves the directory). Each refusal is one line and exit 1; nothing is half done.
/// </summary>
public static class BackupCli
{
    private const string SecretsWarning =
        "the archive holds the site's secrets (its CA and server keys, the key ring that opens its blueprints and staging plans, " +
        "the break-glass password): keep it where only you can read it. Not in it: the configuration (appsettings.json, " +
        "EDGEMDM_ variables, the site credential file); keep a copy of those with it";

    public static Command Backup(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var file = new Argument<string>("file") { Description = "the archive to write (a tar file, written owner-only; replaced if it exists)" };
        return commands.Create("backup", "copy the site (database, keys, certificates, cached packages) into one archive, while the appliance serves", [file], cli =>
        {
            var site = cli.Get<ISiteIdentity>().Site();
            var manifest = SiteBackup.Create(cli.DataDirectory, cli.Result.GetValue(file)!, site?.SiteId, DateTimeOffset.UtcNow);
            Console.WriteLine($"backed up site {manifest.SiteId ?? ISiteIdentity.UnnamedSite} (schema {manifest.SchemaVersion}, {manifest.Files.Count} files, {SiteBackup.Mebibytes(manifest)} MiB) to {Path.GetFullPath(cli.Result.GetValue(file)!)}");
            Console.WriteLine(SecretsWarning);
            return 0;
        }, json: false);
    }

    public static Command Restore(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var file = new Argument<string>("file") { Description = "an archive `backup` wrote" };
        var force = new Option<bool>("--force") { Description = "replace what the data directory holds (by default only an empty or missing one is restored into)" };
        return commands.Create("restore", "bring this box up as the site an archive holds: same certificate pin, devices keep checking in (stop the appliance first)", [file, force], cli =>
        {
            var directory = cli.ConfiguredDataDirectory;
            RefuseWhileServing(directory, "restore");
            var manifest = SiteBackup.Restore(cli.Result.GetValue(file)!, directory, cli.Result.GetValue(force));
            var at = manifest.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
            Console.WriteLine($"restored site {manifest.SiteId ?? ISiteIdentity.UnnamedSite} as backed up at {at} (appliance {manifest.ProgramVersion}, schema {manifest.SchemaVersion}, {manifest.Files.Count} files) into {directory}");
            Console.WriteLine("start the appliance: devices keep their certificate pin and credentials; a device enrolled after the backup must enroll again");
            return 0;
        }, json: false);
    }

    public static Command FactoryReset(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var confirm = new Option<string>("--confirm") { Description = "the site's name, for scripts (otherwise asked for at a prompt)" };
        return commands.Create("factory-reset", "delete every record, key and certificate of the site (stop the appliance first)", [confirm], async cli =>
        {
            var directory = cli.ConfiguredDataDirectory;
            RefuseWhileServing(directory, "factory-reset");
            if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Console.WriteLine($"nothing to reset: {directory} holds no site");
                return 0;
            }

            var name = File.Exists(EdgeDatabase.PathIn(directory)) ? cli.Get<ISiteIdentity>().Site()?.Name ?? ISiteIdentity.UnnamedSite : ISiteIdentity.UnnamedSite;
            await cli.CloseAsync();
            var typed = cli.Result.GetValue(confirm);
            if (typed is null)
            {
                Console.Error.Write($"This deletes every record, key and certificate of the site \"{name}\" in {directory}; every device must enroll again. Type the site's name to go on: ");
                typed = Console.In.ReadLine()?.Trim();
            }

            if (!string.Equals(typed, name, StringComparison.Ordinal))
                throw new CliException($"not confirmed (the site's name is \"{name}\"): nothing was deleted");
            var deleted = SiteReset.Delete(directory);
            Console.WriteLine($"factory reset: deleted the site \"{name}\" ({deleted} files) from {directory}; the next start makes a new site with a new certificate pin");
            return 0;
        }, json: false);
    }

    private static void RefuseWhileServing(string directory, string what)
    {
        if (RunningAppliance.ListenUrls(directory).Count > 0)
            throw new CliException($"an appliance serves {directory}: stop it before {what} (systemctl stop edgemdm)");
        if (Directory.Exists(directory) && DirectoryInUse.By(directory) is { } pid)
            throw new CliException($"process {pid} has files of {directory} open (an appliance or a command serving it?): stop it before {what}");
    }
}
