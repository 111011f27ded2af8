using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;
using EdgeMdm.GitOps;

namespace EdgeMdm.Cli.Tests;

/// <summary><c>stagingPlans:</c> in the blueprints file, a blueprint's <c>stagingPlan:</c>, and secrets from the environment.</summary>
public sealed class StagingPlanYamlTests
{
    internal const string Psk = "dc-floor-passphrase-42";

    internal const string WithPlan =
        """
        stagingPlans:
          - name: scanner-standard
            steps:
              - kind: enroll
              - kind: managedConfig
                packageName: com.zebra.oemconfig.common
                values:
                  scanner: { decoders: { qr: true, ean13: false } }
                  audio.volume: 7
              - kind: installApps
              - kind: wifi
                ssid: dc-floor
                security: wpa2-psk
                psk: { env: DC_FLOOR_PSK }
              - kind: wifi
                id: wifi-office
                ssid: office
                security: eap-peap
                identity: scanner@acme.example
                password: literal-password
              - kind: pairPeripheral
                peripheral: ring-scanner
                addressPattern: "00:1B:*"
              - kind: settings
                values: { screen.timeoutSeconds: 300 }
              - kind: verify
        blueprints:
          - group: pickers
            stagingPlan: scanner-standard
          - group: office
        """;

    private static string? Environment(string name) => string.Equals(name, "DC_FLOOR_PSK", StringComparison.Ordinal) ? Psk : null;

    [Fact]
    public void Plans_are_read_with_their_steps_and_a_secret_from_the_environment()
    {
        var file = BlueprintYaml.ParseFile(WithPlan, "b.yaml", required: true, Environment);

        var plan = Assert.Single(file.StagingPlans);
        Assert.Equal("scanner-standard", plan.Name);
        Assert.Equal(["enroll", "managedConfig", "installApps", "wifi", "wifi-office", "pairPeripheral", "settings", "verify"], plan.Steps.Select(s => s.Id));
        var managed = Assert.IsType<ManagedConfigStep>(plan.Steps[1]);
        Assert.Equal("true", managed.Values["scanner.decoders.qr"]);
        Assert.Equal("false", managed.Values["scanner.decoders.ean13"]);
        Assert.Equal("7", managed.Values["audio.volume"]);
        Assert.Empty(Assert.IsType<InstallAppsStep>(plan.Steps[2]).PackageNames);
        Assert.Equal(Psk, Assert.IsType<WifiStep>(plan.Steps[3]).Psk!.Reveal());
        Assert.Equal("literal-password", Assert.IsType<WifiStep>(plan.Steps[4]).Password!.Reveal());
        Assert.Equal("scanner-standard", file.Blueprints[0].StagingPlan);
        Assert.Null(file.Blueprints[1].StagingPlan);
    }

    [Fact]
    public void A_blueprint_naming_an_unknown_plan_is_refused()
    {
        var yaml = WithPlan.Replace("stagingPlan: scanner-standard", "stagingPlan: scanner-deluxe", StringComparison.Ordinal);

        var error = Assert.Throws<BlueprintFileException>(() => BlueprintYaml.ParseFile(yaml, "b.yaml", required: true, Environment));

        Assert.Contains("blueprints[0].stagingPlan 'scanner-deluxe' is not a plan", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unset_environment_variable_names_the_field_and_the_variable()
    {
        var error = Assert.Throws<BlueprintFileException>(() => BlueprintYaml.ParseFile(WithPlan, "b.yaml", required: true, _ => null));

        Assert.Equal("b.yaml: stagingPlans[0].steps[3].psk names the environment variable DC_FLOOR_PSK, which is not set", error.Message);
    }

    [Fact]
    public void Every_bad_step_field_is_named_and_no_message_holds_the_secret()
    {
        const string yaml =
            """
            stagingPlans:
              - name: bad
                steps:
                  - kind: wifi
                    ssid: dc-floor
                    security: wpa2-psk
                    psk: short
                  - kind: settings
                    ssid: stray
                    values: { a: 1 }
                  - kind: teleport
                  - kind: pairPeripheral
                    peripheral: printer
                    addressPattern: nowhere
            blueprints: []
            """;

        var error = Assert.Throws<BlueprintFileException>(() => BlueprintYaml.ParseFile(yaml, "b.yaml", required: true, Environment));

        Assert.Contains("stagingPlans[0].steps[1].ssid is not a field of a settings step", error.Message, StringComparison.Ordinal);
        Assert.Contains("stagingPlans[0].steps[2].kind must be one of enroll, managedConfig", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", error.Message, StringComparison.Ordinal);

        // Without the stray keys the plan's own rules speak, each under its path.
        var valid = yaml.Replace("        ssid: stray\n", "", StringComparison.Ordinal).Replace("      - kind: teleport\n", "", StringComparison.Ordinal);
        var rules = Assert.Throws<BlueprintFileException>(() => BlueprintYaml.ParseFile(valid, "b.yaml", required: true, Environment));
        Assert.Contains("stagingPlans[0].steps[0].psk must be 8-63 characters", rules.Message, StringComparison.Ordinal);
        Assert.Contains("stagingPlans[0].steps[2].addressPattern must be", rules.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", rules.Message.Replace("such as", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_plans_reads_as_before_and_naming_a_plan_changes_the_blueprints_hash()
    {
        var before = Assert.Single(BlueprintYaml.Parse("blueprints:\n  - group: pickers\n", "b.yaml", required: true));
        var file = BlueprintYaml.ParseFile(WithPlan, "b.yaml", required: true, Environment);

        Assert.Null(before.StagingPlan);
        Assert.Equal(Blueprint.Empty("pickers").ContentHash(), before.ContentHash());
        Assert.NotEqual(before.ContentHash(), file.Blueprints[0].ContentHash());
    }
}
