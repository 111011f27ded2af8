using System.CommandLine;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Staging;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Enrollment;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Seed;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Threading;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Hosting;

/// <summary>
/// <c>edgemdm-edge</c>: <c>serve</c> (the default) and each feature's operator commands.
/// Errors: one line on stderr and exit 1 (refused) or 2 (bad usage).
/// </summary>
public static class EdgeCli
{
    private const string Name = OperatorCommands.Program;

    public static Task<int> RunAsync(string[] args) => HostCommandLine.RunAsync(Name, BuildCommands(), args, exception => exception switch
    {
        CliException refused => new CommandRefusal(refused.Message, refused.ExitCode),
        StorageFullException => new CommandRefusal("nothing was changed: " + exception.Message),
        // A backup or restore refused: a damaged or foreign archive, a directory not empty.
        ServiceDefaults.Backups.BackupRefusedException => new CommandRefusal(exception.Message),
        // The data directory as the operator gave it cannot be used (locked for too long, unreadable, gone).
        SQLite.SQLiteException or IOException or UnauthorizedAccessException => new CommandRefusal("the data directory cannot be used: " + exception.Message),
        _ => null,
    });

    private static RootCommand BuildCommands()
    {
        var commands = new OperatorCommands((services, configuration) => services.AddEdgeFeatures(configuration));
        return new RootCommand("EdgeMdm site appliance: serves devices on the site network, uplink or not.")
        {
            Serve(),
            InitCli.Init(commands),
            EnrollmentCli.Token(commands),
            DevicesCli.Devices(commands),
            CommandsCli.Commands(commands),
            StagingCli.Staging(commands),
            DriftCli.Drift(commands),
            SyncCli.Sync(commands),
            SiteUsersCli.Users(commands),
            PackagesCli.Cache(commands),
            RolloutsCli.Rollouts(commands),
            MqttCli.Clients(commands),
            MqttCli.Status(commands),
            SiteTlsCli.Tls(commands),
            Cradles.CradlesCli.Cradles(commands),
            Cradles.CradleSimulator.Command(commands),
            Spares.SparesCli.Spares(commands),
            Spares.SwapCli.Swap(commands),
            Alerts.AlertsCli.Alerts(commands),
            Custody.CustodyCli.Custody(commands),
            Approvals.ApprovalsCli.Approvals(commands),
            Audit.AuditCli.Audit(commands),
            Batteries.FloorCli.Readiness(commands),
            Batteries.FloorCli.Missing(commands),
            Batteries.FloorCli.Batteries(commands),
            Backup.BackupCli.Backup(commands),
            Backup.BackupCli.Restore(commands),
            Backup.BackupCli.FactoryReset(commands),
        };
    }

    private static Command Serve() => HostCommandLine.Serve(
        "run the appliance (the default command)",
        [
            new Option<string>("--data-dir") { Description = "data directory of the appliance (default: Edge:DataDir, from $EDGEMDM_Edge__DataDir or appsettings.json, else ./data)" },
            new Option<string>("--seed") { Description = "YAML file with site, blueprints and enrollment tokens, applied at start" },
            new Option<string>("--urls") { Description = "where to listen, e.g. https://0.0.0.0:8443 (default https://0.0.0.0:8443 with the site certificate, and http://0.0.0.0:8080, which only redirects there)" },
            new Option<int>("--checkin-interval") { Description = "seconds between device check-ins (default 60)" },
            new Option<string>("--mqtt-listen") { Description = "embed an MQTT broker for device wakes, over TLS with the site certificate, on these IP:port, e.g. 0.0.0.0:8883 (default: none)" },
            new Option<string>("--mqtt-listen-plain") { Description = "also (or only) serve plain MQTT, without TLS, on these IP:port, e.g. 127.0.0.1:1883; only for clients that cannot speak TLS" },
            new Option<string>("--site-credential-file") { Description = "with --hub: file holding the site credential `edgemdm sites add` printed, mode 0600 (Edge:SiteCredentialFile); keeps it off the command line, where ps shows it" },
            new Option<string>("--hub-ca") { Description = "with an https --hub: PEM file of the private CA that issued the hub's certificate (default: the system's trust store)" },
            new Option<string>("--mqtt-external") { Description = "publish device wakes to this external broker (host:port) instead (README: MQTT)" },
            new Option<string>("--mqtt-external-credential-file") { Description = "with --mqtt-external: file holding the appliance's broker password, mode 0600 (Edge:Mqtt:ExternalCredentialFile); keeps it off the command line, where ps shows it" },
        ],
        async (hostArgs, cancellationToken) =>
        {
            try
            {
                await using var app = EdgeHost.Build(hostArgs);
                await app.RunAsync(cancellationToken);
                return 0;
            }
            catch (OptionsValidationException exception)
            {
                throw new CliException("invalid settings: " + string.Join("; ", exception.Failures), 2);
            }
            catch (SeedFileException exception)
            {
                throw new CliException(exception.Message);
            }
            catch (IOException exception)
            {
                // Typically the port is taken or the data directory is not writable.
                throw new CliException("cannot start: " + exception.Message);
            }
        });
}
