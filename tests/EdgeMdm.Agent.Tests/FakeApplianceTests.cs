using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent.Tests;

/// <summary>Each test gets a fresh fake appliance on Kestrel and a device API client for it.</summary>
public abstract class FakeApplianceTests : IAsyncLifetime
{
    protected FakeAppliance Appliance { get; private set; } = null!;

    protected DeviceApiClient Api { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Appliance = await FakeAppliance.StartAsync();
        Api = Appliance.CreateApiClient();
    }

    public virtual async Task DisposeAsync() => await Appliance.DisposeAsync();
}

/// <summary>
/// On top of the fake appliance: a fresh signing key, one package signed with it that the appliance serves,
/// and a scratch directory for the agent's files, deleted after the test.
/// </summary>
public abstract class FakeAppliancePackageTests(string scratchPrefix, string? minOsVersion = null) : FakeApplianceTests
{
    protected ManifestSigner Signer { get; } = ManifestSigner.CreateNew();

    protected string Scratch { get; } = Directory.CreateTempSubdirectory(scratchPrefix).FullName;

    protected TestPackage Package { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Package = TestPackage.Create(Signer, minOsVersion: minOsVersion);
        Appliance.Packages[Package.Sha256] = Package.Bytes;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Signer.Dispose();
        Directory.Delete(Scratch, recursive: true);
    }
}
