using System.Text.Json;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Domain.Tests.StagingPlans;

public sealed class StagingPlanTests
{
    internal const string Psk = "correct-horse-battery";

    internal static StagingPlan SevenSteps(string psk = Psk) => new("scanner-standard",
    [
        new EnrollStep(),
        new ManagedConfigStep("com.zebra.oemconfig.common", new Dictionary<string, string>(StringComparer.Ordinal) { ["scanner.decoders.qr"] = "true", ["audio.volume"] = "7" }),
        new InstallAppsStep([]),
        new WifiStep("dc-floor", WifiSecurity.Wpa2Psk, new Secret(psk)),
        new PairPeripheralStep("ring-scanner", "00:1B:*"),
        new SettingsStep(new Dictionary<string, string>(StringComparer.Ordinal) { ["screen.timeoutSeconds"] = "300" }),
        new VerifyStep(),
    ]);

    [Fact]
    public void A_plan_of_every_kind_is_valid_and_each_step_defaults_its_id_to_its_kind()
    {
        var plan = SevenSteps();

        Assert.Empty(plan.Validate());
        Assert.Equal(StagingStepKinds.All, plan.Steps.Select(s => s.Id));
        Assert.Same(plan.Steps[3], plan.Step("wifi"));
        Assert.Null(plan.Step("nope"));
    }

    [Theory]
    [InlineData("bad name", "name")]
    [InlineData("no steps", "steps")]
    [InlineData("same id twice", "steps[1].id")]
    [InlineData("bad package", "steps[0].packageName")]
    [InlineData("no values", "steps[0].values")]
    [InlineData("bad key", "steps[0].values.a..b")]
    [InlineData("app twice", "steps[0].packageNames[1]")]
    [InlineData("long ssid", "steps[0].ssid")]
    [InlineData("unknown security", "steps[0].security")]
    [InlineData("psk missing", "steps[0].psk")]
    [InlineData("psk short", "steps[0].psk")]
    [InlineData("psk on open", "steps[0].psk")]
    [InlineData("peap without identity", "steps[0].identity")]
    [InlineData("peap without password", "steps[0].password")]
    [InlineData("tls with password", "steps[0].password")]
    [InlineData("bad peripheral", "steps[0].peripheral")]
    [InlineData("bad address", "steps[0].addressPattern")]
    public void Each_bad_field_is_named(string problem, string field)
    {
        StagingPlan plan = problem switch
        {
            "bad name" => SevenSteps() with { Name = "no spaces" },
            "no steps" => new("p", []),
            "same id twice" => new("p", [new VerifyStep(), new VerifyStep()]),
            "bad package" => new("p", [new ManagedConfigStep("zebra", Values("a", "1"))]),
            "no values" => new("p", [new ManagedConfigStep("com.zebra.oemconfig", Values())]),
            "bad key" => new("p", [new SettingsStep(Values("a..b", "1"))]),
            "app twice" => new("p", [new InstallAppsStep(["com.acme.a", "com.acme.a"])]),
            "long ssid" => new("p", [new WifiStep(new string('s', 33), WifiSecurity.Open)]),
            "unknown security" => new("p", [new WifiStep("dc", "wep")]),
            "psk missing" => new("p", [new WifiStep("dc", WifiSecurity.Wpa3Sae)]),
            "psk short" => new("p", [new WifiStep("dc", WifiSecurity.Wpa2Psk, new Secret("short"))]),
            "psk on open" => new("p", [new WifiStep("dc", WifiSecurity.Open, new Secret("longenough"))]),
            "peap without identity" => new("p", [new WifiStep("dc", WifiSecurity.EapPeap, Password: new Secret("pw"))]),
            "peap without password" => new("p", [new WifiStep("dc", WifiSecurity.EapPeap, Identity: "scanner@acme")]),
            "tls with password" => new("p", [new WifiStep("dc", WifiSecurity.EapTls, Identity: "scanner@acme", Password: new Secret("pw"))]),
            "bad peripheral" => new("p", [new PairPeripheralStep("Ring Scanner", "00:1B:*")]),
            "bad address" => new("p", [new PairPeripheralStep("printer", "00:1B")]),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        var errors = plan.Validate();

        Assert.Contains(field, errors.Keys);
        Assert.False(plan.IsValid());
    }

    [Fact]
    public void Every_bad_field_is_named_at_once_and_no_message_quotes_a_secret()
    {
        var plan = new StagingPlan("p", [new WifiStep("", WifiSecurity.Wpa2Psk, new Secret("abc")), new PairPeripheralStep("printer", "zz")]);

        var errors = plan.Validate();

        Assert.Equal(["steps[0].psk", "steps[0].ssid", "steps[1].addressPattern"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(errors.Values.SelectMany(m => m), m => m.Contains("abc", StringComparison.Ordinal));
    }

    [Fact]
    public void A_secret_prints_and_serializes_as_redacted_by_default()
    {
        var plan = SevenSteps();

        var text = $"{plan} {plan.Steps[3]}";
        var redacted = StagingPlanJson.SerializeRedacted(plan);
        var viaDefaultOptions = JsonSerializer.Serialize(new Secret(Psk), StagingPlanJson.Redacted.Options);

        Assert.DoesNotContain(Psk, text, StringComparison.Ordinal);
        Assert.Contains("(secret)", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Psk, redacted, StringComparison.Ordinal);
        Assert.Contains("\"psk\":\"(secret)\"", redacted, StringComparison.Ordinal);
        Assert.Equal("\"(secret)\"", viaDefaultOptions);
    }

    [Fact]
    public void The_clear_form_round_trips_and_a_redacted_one_cannot_be_read_back()
    {
        var plan = SevenSteps();

        var clear = StagingPlanJson.SerializeClear(plan);
        var back = StagingPlanJson.DeserializeClear(clear);

        Assert.Contains(Psk, clear, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"wifi\"", clear, StringComparison.Ordinal);
        Assert.True(plan.SameAs(back));
        Assert.Equal(Psk, ((WifiStep)back.Steps[3]).Psk!.Reveal());
        Assert.Throws<JsonException>(() => StagingPlanJson.DeserializeClear(StagingPlanJson.SerializeRedacted(plan)));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(StagingPlanJson.SerializeRedacted(plan), StagingPlanJson.Redacted.StagingPlan));
    }

    [Fact]
    public void The_content_hash_ignores_key_order_and_changes_with_a_secret_and_a_step()
    {
        var plan = SevenSteps();
        var reordered = plan with
        {
            Steps = [.. plan.Steps.Take(1), new ManagedConfigStep("com.zebra.oemconfig.common", new Dictionary<string, string>(StringComparer.Ordinal) { ["audio.volume"] = "7", ["scanner.decoders.qr"] = "true" }), .. plan.Steps.Skip(2)],
        };

        var hash = plan.ContentHash();

        Assert.Matches("^[0-9a-f]{32}$", hash);
        Assert.Equal(hash, reordered.ContentHash());
        Assert.NotEqual(hash, SevenSteps("another-passphrase").ContentHash());
        Assert.NotEqual(hash, (plan with { Steps = plan.Steps.Take(6).ToList() }).ContentHash());
        Assert.False(plan.SameAs(SevenSteps("another-passphrase")));
    }

    [Fact]
    public void A_plan_read_from_hostile_json_without_a_steps_list_hashes_as_an_empty_one_instead_of_throwing()
    {
        // Found by the feed fuzzer: the appliance hashes a plan from the hub's feed before it knows the plan is valid.
        var hostile = StagingPlanJson.DeserializeClear("""{"name":"p","steps":null}""");

        Assert.Equal(new StagingPlan("p", []).ContentHash(), hostile.ContentHash());
    }

    [Fact]
    public void A_step_without_its_type_is_malformed_json_like_any_other()
    {
        // Found by the feed fuzzer: System.Text.Json says NotSupportedException for a missing type discriminator.
        var failure = Assert.Throws<JsonException>(() => StagingPlanJson.DeserializeClear("""{"name":"p","steps":[{}]}"""));

        Assert.Contains("type discriminator", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_are_listed_by_field_path()
    {
        var plan = new StagingPlan("p", [new WifiStep("dc", WifiSecurity.EapPeap, Identity: "scanner@acme", Password: new Secret("hunter22")), new WifiStep("guest", WifiSecurity.Wpa3Sae, new Secret(Psk)) { Id = "wifi-guest" }]);

        var secrets = plan.Secrets();

        Assert.Empty(plan.Validate());
        Assert.Equal(["steps[0].password", "steps[1].psk"], secrets.Keys);
        Assert.Equal(new Secret(Psk), secrets["steps[1].psk"]);
        Assert.NotEqual(new Secret("hunter22"), secrets["steps[1].psk"]);
    }

    [Theory]
    [InlineData("00:1B:*", "00:1b:7c:00:11:22", true)]
    [InlineData("00:1B:*", "00:1C:7C:00:11:22", false)]
    [InlineData("AC:3F:A4:12:*:5E", "AC:3F:A4:12:99:5E", true)]
    [InlineData("AC:3F:A4:12:*:5E", "AC:3F:A4:12:99:5F", false)]
    [InlineData("*", "01:02:03:04:05:06", true)]
    [InlineData("00:1B:*", "00:1B", false)]
    public void Address_patterns_match_prefixes_and_single_octets(string pattern, string address, bool matches) =>
        Assert.Equal(matches, PeripheralAddress.Matches(pattern, address));

    private static Dictionary<string, string> Values(params string[] pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
            values[pairs[i]] = pairs[i + 1];
        return values;
    }
}

public sealed class StagingPlanDiffTests
{
    [Fact]
    public void A_changed_secret_shows_as_changed_and_never_its_value()
    {
        var before = StagingPlanTests.SevenSteps("old-passphrase-1");
        var after = StagingPlanTests.SevenSteps() with
        {
            Steps = [.. StagingPlanTests.SevenSteps().Steps.Take(4), new PairPeripheralStep("printer", "AC:3F:*"), .. StagingPlanTests.SevenSteps().Steps.Skip(5), new VerifyStep { Id = "verify-again" }],
        };

        var lines = StagingPlanDiff.Between(before, after);

        Assert.Equal(
            ["steps[3].psk changed", "steps[4].addressPattern 00:1B:* → AC:3F:*", "steps[4].peripheral ring-scanner → printer", "+ steps[7] verify (verify-again)"],
            lines);
        Assert.DoesNotContain(lines, l => l.Contains("passphrase", StringComparison.Ordinal) || l.Contains(StagingPlanTests.Psk, StringComparison.Ordinal));
        Assert.Empty(StagingPlanDiff.Between(before, StagingPlanTests.SevenSteps("old-passphrase-1")));
    }
}
