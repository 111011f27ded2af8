using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Domain.Tests.Blueprints;

public sealed class BlueprintDeclarationsTests
{
    private static readonly RequiredApp Scanner = new("com.acme.scan", 241, "2.4.1");
    private static readonly RequiredApp Printer = new("com.acme.print", 17, "1.7");
    private static readonly CertificateRule WifiCert = new("site-wifi", 30);
    private static readonly CertificateRule VpnCert = new("vpn", 14);

    private static ConfigurationPayload Wifi(string ssid = "dc-floor") =>
        new("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = ssid, ["security"] = "wpa3" });

    private static ConfigurationPayload Kiosk() =>
        new("kiosk", new Dictionary<string, string>(StringComparer.Ordinal) { ["home"] = Scanner.PackageName });

    /// <summary>A fresh instance every time, so equal tokens come from equal content, not shared references.</summary>
    private static Blueprint Base() => new(
        "scanners",
        [Scanner, Printer],
        new OsFloor("13", new DateOnly(2025, 1, 5)),
        [Wifi(), Kiosk()],
        [WifiCert, VpnCert],
        80);

    private static readonly Dictionary<string, Func<Blueprint, Blueprint>> Changes = new(StringComparer.Ordinal)
    {
        ["group"] = b => b with { Group = "printers" },
        ["app version code"] = b => b with { Apps = [Scanner with { VersionCode = 242 }, Printer] },
        ["app version name"] = b => b with { Apps = [Scanner with { VersionName = "2.4.1b" }, Printer] },
        ["app package"] = b => b with { Apps = [Scanner with { PackageName = "com.acme.scan2" }, Printer] },
        ["app added"] = b => b with { Apps = [Scanner, Printer, new RequiredApp("com.acme.chat", 5, "0.5")] },
        ["app removed"] = b => b with { Apps = [Scanner] },
        ["os floor version"] = b => b with { Os = b.Os! with { MinVersion = "14" } },
        ["os floor patch"] = b => b with { Os = b.Os! with { MinSecurityPatch = new DateOnly(2025, 2, 5) } },
        ["os floor dropped"] = b => b with { Os = null },
        ["config value"] = b => b with { Configurations = [Wifi("dc-floor-2"), Kiosk()] },
        ["config key"] = b => b with
        {
            Configurations = [new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["SSID"] = "dc-floor", ["security"] = "wpa3" }), Kiosk()],
        },
        ["config id"] = b => b with { Configurations = [Wifi() with { Id = "wifi-2" }, Kiosk()] },
        ["config removed"] = b => b with { Configurations = [Wifi()] },
        ["cert days"] = b => b with { Certificates = [WifiCert with { MinDaysValid = 31 }, VpnCert] },
        ["cert name"] = b => b with { Certificates = [WifiCert with { Name = "site-wifi-2" }, VpnCert] },
        ["cert removed"] = b => b with { Certificates = [WifiCert] },
        ["battery floor"] = b => b with { BatteryHealthFloorPercent = 81 },
        ["battery floor dropped"] = b => b with { BatteryHealthFloorPercent = null },
    };

    public static TheoryData<string> ChangeNames() => new(Changes.Keys);

    [Fact]
    public void Equal_blueprints_give_the_same_token()
    {
        // Act
        var first = Base().ToDeclarations();
        var second = Base().ToDeclarations();

        // Assert
        Assert.Equal(first.Token, second.Token);
    }

    [Fact]
    public void Token_does_not_depend_on_the_order_items_are_listed_in()
    {
        // Arrange
        var reordered = new Blueprint(
            "scanners",
            [Printer, Scanner],
            new OsFloor("13", new DateOnly(2025, 1, 5)),
            [
                Kiosk(),
                new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["security"] = "wpa3", ["ssid"] = "dc-floor" }),
            ],
            [VpnCert, WifiCert],
            80);

        // Act
        var token = reordered.ToDeclarations().Token;

        // Assert
        Assert.Equal(Base().ToDeclarations().Token, token);
    }

    [Theory]
    [MemberData(nameof(ChangeNames))]
    public void Any_change_to_the_blueprint_gives_a_new_token(string change)
    {
        // Arrange
        var original = Base();
        var changed = Changes[change](Base());

        // Act
        var before = original.ToDeclarations().Token;
        var after = changed.ToDeclarations().Token;

        // Assert
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Token_is_32_lowercase_hex_digits()
    {
        // Act
        var token = Base().ToDeclarations().Token;

        // Assert
        Assert.Matches("^[0-9a-f]{32}$", token);
    }

    [Fact]
    public void Declarations_carry_the_blueprint_in_canonical_order()
    {
        // Act
        var declarations = Base().ToDeclarations();

        // Assert
        Assert.Equal("scanners", declarations.Group);
        Assert.Equal(["com.acme.print", "com.acme.scan"], declarations.Apps.Select(a => a.PackageName));
        Assert.Equal(241, declarations.Apps[1].VersionCode);
        Assert.Equal("2.4.1", declarations.Apps[1].VersionName);
        Assert.Equal("13", declarations.Os!.MinVersion);
        Assert.Equal(new DateOnly(2025, 1, 5), declarations.Os.MinSecurityPatch);
        Assert.Equal(["kiosk", "wifi"], declarations.Configurations.Select(c => c.Id));
        Assert.Equal(["site-wifi", "vpn"], declarations.Certificates.Select(c => c.Name));
        Assert.Equal(30, declarations.Certificates[0].MinDaysValid);
        Assert.Equal(80, declarations.BatteryHealthFloorPercent);
    }

    [Fact]
    public void Declared_configuration_carries_its_payload_and_the_hash_a_device_must_report()
    {
        // Arrange
        var wifi = Wifi();

        // Act
        var declared = Base().ToDeclarations().Configurations.Single(c => string.Equals(c.Id, "wifi", StringComparison.Ordinal));

        // Assert
        Assert.Equal(wifi.Hash, declared.Hash);
        Assert.Equal(["security", "ssid"], declared.Payload.Keys);
        Assert.Equal(CanonicalHash.Of(declared.Payload), declared.Hash);
    }

    [Fact]
    public void Empty_blueprint_declares_nothing_but_still_has_a_token()
    {
        // Act
        var declarations = Blueprint.Empty("spares").ToDeclarations();

        // Assert
        Assert.Equal("spares", declarations.Group);
        Assert.Empty(declarations.Apps);
        Assert.Null(declarations.Os);
        Assert.Empty(declarations.Configurations);
        Assert.Empty(declarations.Certificates);
        Assert.Null(declarations.BatteryHealthFloorPercent);
        Assert.Matches("^[0-9a-f]{32}$", declarations.Token);
        Assert.NotEqual(Blueprint.Empty("scanners").ToDeclarations().Token, declarations.Token);
    }
}
