using System.CommandLine;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Supervisor;

namespace EdgeMdm.Edge.Hosting;

/// <summary>
/// <c>edgemdm-edge init</c>: makes a data directory ready before the first <c>serve</c> (the package's postinst runs it):
/// the database at the current schema, the site CA and its TLS certificate, and the break-glass administrator with its
/// password file. Everything is what <c>serve</c> would make at its first start; running it again changes nothing.
/// </summary>
internal static class InitCli
{
    public static Command Init(OperatorCommands commands) =>
        commands.Create("init", "prepare a data directory without serving: database, site CA and certificate, the first administrator's password file (run again: changes nothing)", [], async cli =>
        {
            cli.CreateWhenMissing();
            var storage = cli.Get<EdgeStorage>();
            var pin = cli.Get<SiteCertificates>().Pin;
            var admin = cli.Get<BreakGlassAdmin>();
            var madeNow = admin.CreatedAt() is null;
            await admin.StartAsync(CancellationToken.None);
            var passwordFile = Path.Combine(storage.DataDirectory, BreakGlassAdmin.PasswordFile);
            var initialised = new Initialised(storage.DataDirectory, storage.Read(EdgeDatabase.SchemaVersion), pin, BreakGlassAdmin.UserName,
                File.Exists(passwordFile) ? passwordFile : null, madeNow);
            return cli.Print(initialised, () =>
            {
                Console.WriteLine($"{(madeNow ? "initialised" : "already initialised")}  {initialised.DataDirectory} (schema {initialised.SchemaVersion})");
                Console.WriteLine($"pin          {pin}");
                Console.WriteLine(initialised.PasswordFile is { } file
                    ? $"first admin  user {BreakGlassAdmin.UserName}, password in {file} (readable only by the account that runs the appliance)"
                    : $"first admin  user {BreakGlassAdmin.UserName}; its password file was removed after it was read");
            });
        });

    private sealed record Initialised(string DataDirectory, int SchemaVersion, string Pin, string AdminUser, string? PasswordFile, bool MadeNow);
}
