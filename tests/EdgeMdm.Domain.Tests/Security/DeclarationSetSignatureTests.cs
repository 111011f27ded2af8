using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Domain.Tests.Security;

public sealed class DeclarationSetSignatureTests
{
    private static DeclarationsDocument Set(IReadOnlyDictionary<string, string> payload) => new(
        "token-1", "pickers", [new AppDeclaration("com.acme.scan", 240, "2.4.0")], new OsDeclaration("14", new DateOnly(2025, 1, 5)),
        [new ConfigurationDeclaration("wifi", payload, "hash-1")], [new CertificateDeclaration("site-wifi", 30)], 80)
    {
        DeviceId = "dev-1",
        Version = 3,
    };

    [Fact]
    public void Field_boundaries_are_part_of_the_bytes_and_map_order_is_not()
    {
        var abc = DeclarationSetSignature.CanonicalBytes(Set(new Dictionary<string, string>(StringComparer.Ordinal) { ["ab"] = "c" }));
        var aBc = DeclarationSetSignature.CanonicalBytes(Set(new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = "bc" }));
        var forward = DeclarationSetSignature.CanonicalBytes(Set(new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "dc", ["band"] = "5" }));
        var backward = DeclarationSetSignature.CanonicalBytes(Set(new Dictionary<string, string>(StringComparer.Ordinal) { ["band"] = "5", ["ssid"] = "dc" }));

        Assert.NotEqual(abc, aBc);
        Assert.Equal(forward, backward);
    }

    [Fact]
    public void Absent_and_empty_differ_and_a_set_from_hostile_json_with_nulls_is_refused_not_thrown_on()
    {
        var set = Set(new Dictionary<string, string>(StringComparer.Ordinal));
        var hostile = set with { Apps = null!, Configurations = null!, Certificates = null! };
        using var key = SiteSigningKey.CreateNew();

        Assert.NotEqual(DeclarationSetSignature.CanonicalBytes(set with { Apps = [] }), DeclarationSetSignature.CanonicalBytes(hostile));
        Assert.True(DeclarationSetSignature.Check(DeclarationSetSignature.Sign(set, "dev-1", 3, key), "dev-1", key.KeySha256, null).Accepted);
        Assert.Equal(SignedStateRefusal.BadSignature, DeclarationSetSignature.Check(hostile with { SignerKey = key.SubjectPublicKeyInfo, Signature = "AAAA" }, "dev-1", null, null).Refusal);
        Assert.Equal(SignedStateRefusal.WrongKey, DeclarationSetSignature.Check(set with { SignerKey = "not base64!", Signature = "AAAA" }, "dev-1", null, null).Refusal);
    }
}
