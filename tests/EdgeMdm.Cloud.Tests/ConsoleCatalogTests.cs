using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The console's blueprints and packages pages on the real hub: what they show, and apply/delete with the REST API's rules.</summary>
public sealed class ConsoleCatalogTests : HubPerTest
{
    private const string Pickers120 = """
        blueprints:
          - group: pickers
            apps:
              - packageName: com.acme.scan
                versionCode: 120
                versionName: "1.2"
            batteryHealthFloorPercent: 80
        """;

    [Fact]
    public async Task A_pasted_blueprint_previews_its_diff_without_storing_and_apply_stores_it_as_the_api_does()
    {
        // Arrange: pickers hold scanner 100
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 100, "1.0")] });
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        using var preview = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", Pickers120), new("op", "preview")]);
        var previewHtml = System.Net.WebUtility.HtmlDecode(await preview.Content.ReadAsStringAsync());
        var afterPreview = await Hub.Store.Blueprints.ListBlueprintsAsync(TenantIds.Default);
        using var apply = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", Pickers120), new("op", "apply")]);
        var page = await ConsoleSession.PageAsync(browser, apply.Headers.Location!.OriginalString);
        var rest = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/blueprints");
        var rollouts = await Hub.Store.Rollouts.ListCurrentRolloutsAsync(TenantIds.Default);

        // Assert: the diff names the version change and the new floor; nothing stored until apply
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Contains("data-group=\"pickers\" data-kind=\"update\"", previewHtml, StringComparison.Ordinal);
        Assert.Contains("apps com.acme.scan 100 (1.0) → 120 (1.2)", previewHtml, StringComparison.Ordinal);
        Assert.Contains("batteryHealthFloorPercent none → 80", previewHtml, StringComparison.Ordinal);
        Assert.Equal(100, Assert.Single(afterPreview).Apps[0].VersionCode);
        Assert.Equal(HttpStatusCode.Redirect, apply.StatusCode);
        Assert.Equal("/blueprints?applied=pickers", apply.Headers.Location!.OriginalString);
        Assert.Contains("id=\"done\"", page, StringComparison.Ordinal);
        Assert.Contains("data-app=\"com.acme.scan\" data-version=\"120\"", page, StringComparison.Ordinal);
        var stored = Assert.Single(rest!)!;
        Assert.Equal((120, 80), ((int)stored["apps"]![0]!["versionCode"]!, (int)stored["batteryHealthFloorPercent"]!));
        Assert.Equal((100L, 120L), (Assert.Single(rollouts).FromVersionCode, rollouts[0].ToVersionCode));
        Assert.Contains(Hub.Logs.Entries, e => e.EventId.Id == 2330 && e.Message.Contains("applied the blueprint of group pickers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_blueprint_is_answered_422_with_the_page_naming_the_field_and_none_of_the_text_is_stored()
    {
        // Arrange: the second blueprint names a staging plan the tenant does not have; one JSON blueprint has no group, another such a plan
        const string text = """
            blueprints:
              - group: packers
                apps: []
              - group: pickers
                stagingPlan: nowhere
            """;
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        using var refused = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", text), new("op", "apply")]);
        using var json = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", """{"apps":[]}"""), new("op", "apply")]);
        using var noPlan = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", """{"group":"pickers","stagingPlan":"nowhere"}"""), new("op", "apply")]);
        using var yaml = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", "blueprints:\n  - group: pickers\n    aps: []\n"), new("op", "preview")]);
        using var empty = await browser.PostFormAsync("/blueprints", "/blueprints", [new("text", " "), new("op", "apply")]);

        // Assert
        Assert.Equal(
            [HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity],
            new[] { refused.StatusCode, json.StatusCode, yaml.StatusCode, empty.StatusCode });
        var html = System.Net.WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync());
        Assert.Contains("id=\"paste-errors\"", html, StringComparison.Ordinal);
        Assert.Contains("blueprints[1].stagingPlan 'nowhere' is not a plan", html, StringComparison.Ordinal);
        Assert.Contains("blueprint 1: group is required", System.Net.WebUtility.HtmlDecode(await json.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Contains("group pickers: stagingPlan names no staging plan of this tenant ('nowhere')", System.Net.WebUtility.HtmlDecode(await noPlan.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noPlan.StatusCode);
        Assert.Contains("unknown field", System.Net.WebUtility.HtmlDecode(await yaml.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Empty(await Hub.Store.Blueprints.ListBlueprintsAsync(TenantIds.Default));
    }

    [Fact]
    public async Task Deleting_a_group_s_blueprint_removes_it_and_another_tenant_s_group_is_not_found()
    {
        // Arrange: pickers in the default tenant, packers in Globex's
        var globex = (await Hub.Store.Tenants.AddTenantAsync("Globex")).TenantId;
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with { BatteryHealthFloorPercent = 70 });
        await Hub.Store.Blueprints.UpsertBlueprintAsync(globex, Blueprint.Empty("packers"));
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var before = await ConsoleSession.PageAsync(browser, "/blueprints");
        using var theirs = await browser.PostFormAsync("/blueprints", "/blueprints/delete", [new("group", "packers")]);
        using var deleted = await browser.PostFormAsync("/blueprints", "/blueprints/delete", [new("group", "pickers")]);
        using var again = await browser.PostFormAsync("/blueprints", "/blueprints/delete", [new("group", "pickers")]);

        // Assert
        Assert.Contains("data-group=\"pickers\"", before, StringComparison.Ordinal);
        Assert.DoesNotContain("packers", before, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Redirect, HttpStatusCode.NotFound), (theirs.StatusCode, deleted.StatusCode, again.StatusCode));
        Assert.Empty(await Hub.Store.Blueprints.ListBlueprintsAsync(TenantIds.Default));
        Assert.Single(await Hub.Store.Blueprints.ListBlueprintsAsync(globex));
    }

    [Fact]
    public async Task The_package_catalog_lists_each_package_newest_first_with_size_hash_and_signing_key()
    {
        // Arrange: scanner 100 and 120, a label app; one of Globex's
        using var signer = ManifestSigner.FromPkcs8Pem(await Hub.Store.SigningKeys.EnsureSigningKeyAsync());
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await Hub.Store.Packages.PublishPackageAsync(TenantIds.Default, signer.Sign(new PackageManifest(new string('a', 64), "com.acme.scan", 100, "1.0", 1_500_000, null, at)), signer.KeyId);
        await Hub.Store.Packages.PublishPackageAsync(TenantIds.Default, signer.Sign(new PackageManifest(new string('b', 64), "com.acme.scan", 120, "1.2", 2_000, "13", at)), signer.KeyId);
        await Hub.Store.Packages.PublishPackageAsync(TenantIds.Default, signer.Sign(new PackageManifest(new string('c', 64), "com.acme.label", 7, "0.7", 10, null, at)), signer.KeyId);
        var globex = (await Hub.Store.Tenants.AddTenantAsync("Globex")).TenantId;
        await Hub.Store.Packages.PublishPackageAsync(globex, signer.Sign(new PackageManifest(new string('d', 64), "com.globex.app", 1, "1", 10, null, at)), signer.KeyId);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var html = await ConsoleSession.PageAsync(browser, "/packages");
        var scanner = await ConsoleSession.PageAsync(browser, "/packages?package=com.acme.scan");

        // Assert
        var scan = ConsoleFleet.Section(html, "data-package=\"com.acme.scan\"");
        Assert.True(scan.IndexOf("data-version=\"120\"", StringComparison.Ordinal) < scan.IndexOf("data-version=\"100\"", StringComparison.Ordinal), "newest first");
        Assert.Contains($"data-version=\"100\" data-sha256=\"{new string('a', 64)}\" data-key=\"{signer.KeyId}\"", scan, StringComparison.Ordinal);
        Assert.Contains("1.5 MB", scan, StringComparison.Ordinal);
        Assert.Contains("data-package=\"com.acme.label\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("com.globex.app", html, StringComparison.Ordinal);
        Assert.Contains("3 of 3 versions", html, StringComparison.Ordinal);
        Assert.DoesNotContain("com.acme.label", scanner, StringComparison.Ordinal);
    }
}
