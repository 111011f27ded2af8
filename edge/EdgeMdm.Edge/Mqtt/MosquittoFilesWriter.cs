using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Devices;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// With an external broker: keeps its password file (and ACL file when configured) in step with the store, so devices
/// log in there with their device credential exactly as on the embedded broker. Checks every few seconds (enrollments
/// happen in this process, cradles and tools are added by the CLI), and rewrites a file only when its content changed,
/// atomically (a temp file renamed over it). Mosquitto rereads them on SIGHUP (README: a systemd path unit does it).
/// </summary>
internal sealed partial class MosquittoFilesWriter(IDeviceCredentials devices, IMqttClients clients, IOptions<MqttOptions> options, TimeProvider clock, ILogger<MosquittoFilesWriter> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private string? _passwords;
    private string? _acl;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var mqtt = options.Value;
        var applianceUser = mqtt.ExternalUserName!;
        // Hashed once per start: the file changes then, and never between two unchanged checks.
        var applianceHash = MosquittoPasswordHash.Create(mqtt.ExternalLoginPassword!);
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var current = devices.BrokerAccounts().Concat(clients.BrokerAccounts()).OrderBy(a => a.UserName, StringComparer.Ordinal).ToList();
                _passwords = WriteIfChanged(mqtt.ExternalPasswordFile!, _passwords, MosquittoFiles.PasswordFile(applianceUser, applianceHash, current));
                if (mqtt.ExternalAclFile is { } aclPath)
                    _acl = WriteIfChanged(aclPath, _acl, MosquittoFiles.AclFile(applianceUser, current));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                LogWriteFailed(logger, exception.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private string WriteIfChanged(string path, string? written, string content)
    {
        if (string.Equals(written, content, StringComparison.Ordinal))
            return content;
        var full = Path.GetFullPath(path);
        // Owner-only: the password file holds every device's hash (Mosquitto must run as the appliance's account,
        // or be given the file by a path unit that copies it; README: external broker).
        OwnerOnlyFiles.WriteAllText(full, content);
        LogWritten(logger, full);
        return content;
    }

    [LoggerMessage(EventId = 5520, Level = LogLevel.Information, Message = "Broker file {Path} written")]
    private static partial void LogWritten(ILogger logger, string path);

    [LoggerMessage(EventId = 5521, Level = LogLevel.Warning, Message = "Broker files not written: {Error}; retrying")]
    private static partial void LogWriteFailed(ILogger logger, string error);
}
