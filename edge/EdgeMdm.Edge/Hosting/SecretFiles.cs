using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Supervisor;
using EdgeMdm.Edge.Sync;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Hosting;

/// <summary>
/// Every file and directory of the appliance that holds a secret, checked before it serves: one that other accounts may
/// read stops the start (<see cref="TooOpenFileException"/>, naming each and its <c>chmod</c>). What does not exist yet
/// passes: the appliance creates it owner-only. The data directory itself is made 0700 when the appliance makes it, but an
/// existing one is not judged: what is secret inside it is, file by file, and its blobs are packages anyone may fetch.
/// </summary>
internal static class SecretFiles
{
    public static void Require(IServiceProvider services)
    {
        var dataDir = Path.GetFullPath(services.GetRequiredService<IOptions<EdgeOptions>>().Value.DataDir);
        var tls = SiteCertificates.DirectoryIn(dataDir);
        var keys = StorageRegistration.KeysDirectory(dataDir);
        var paths = EdgeDatabase.FilesIn(dataDir)
            .Concat(OwnerOnlyXmlRepository.PathsIn(keys))
            .Append(tls)
            .Concat(SiteCertificates.KeyPathsIn(tls))
            .Append(Path.Combine(dataDir, SiteOperatorAuthentication.TokenFile))
            .Append(Path.Combine(dataDir, BreakGlassAdmin.PasswordFile));
        if (services.GetRequiredService<IOptions<SyncOptions>>().Value.SiteCredentialFile is { } credential)
            paths = paths.Append(Path.GetFullPath(credential));
        if (services.GetRequiredService<IOptions<MqttOptions>>().Value.ExternalPasswordFile is { } brokerPasswords)
            paths = paths.Append(Path.GetFullPath(brokerPasswords));
        OwnerOnlyFiles.RequireOwnerOnly(paths);
        // Made here, before any feature makes a directory inside it with the umask's mode (blobs/ would make it 0755).
        OwnerOnlyFiles.CreateDirectory(dataDir);
    }
}
