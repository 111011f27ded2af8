using System.CommandLine;

namespace EdgeMdm.Cloud.Packages;

/// <summary>
/// <c>edgemdm-cloud signing-key rotate</c>: the hub operator's key rotation, on the hub host (the key is the whole
/// hub's, not a tenant's, so no API token can rotate it). Works while the hub runs: every replica reads the newest key
/// at each feed append.
/// </summary>
public static class SigningKeyCommand
{
    internal static Command Create()
    {
        var database = CliOptions.Database();
        var rotate = new Command("rotate", "make a new key sign every site's feed, endorsed by the current one; print its id (alone on stdout)") { database };
        rotate.SetAction(async (result, cancellationToken) =>
        {
            await RotateAsync(result.GetValue(database)!, Console.Out, cancellationToken);
            return 0;
        });
        return new Command("signing-key", "the key that signs what the hub sends to sites") { rotate };
    }

    /// <summary>Rotates the feed signing key of the hub at <paramref name="database"/> and writes the new key's id alone on a line.</summary>
    public static async Task RotateAsync(string database, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var stores = await HubStorage.OpenAsync(
            HubOptions.ConnectionStringFor(database), TimeProvider.System, services => services.AddTenants().AddSites().AddSync().AddPackages(), cancellationToken);
        var keyId = await stores.GetRequiredService<ISigningKeyStore>().RotateFeedKeyAsync(cancellationToken);
        await output.WriteLineAsync(keyId);
    }
}
