using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeMdm.Agent;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Signed desired state (issue 27): the site signs each device's whole declaration set, with a version, and every
/// command it hands out, with its TLS server key; the agent's own classes verify them against the device's pin.
/// </summary>
public sealed class SignedStateTests
{
    private static readonly Blueprint NewPickers = new(
        "pickers", [new RequiredApp("com.edgemdm.sample.scanner", 200, "2.0.0")], new OsFloor("14", null), [], [], null);

    [Fact]
    public async Task A_signed_set_verifies_with_the_pin_and_a_tampered_foreign_unsigned_or_other_key_set_is_refused()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-SIGNED");
        var other = await server.EnrollAsync("SN-OTHER");

        var set = await server.DeclarationsAsync(device.DeviceSecret);
        var othersSet = await server.DeclarationsAsync(other.DeviceSecret);
        var accepted = new SiteTrust(device.DeviceId, server.Pin).Check(set);

        Assert.True(accepted.Accepted, accepted.Message);
        Assert.Equal(server.Pin, SigningKeys.KeySha256(set.SignerKey));  // the signer is the pinned TLS key
        Assert.Equal((device.DeviceId, 1L), (set.DeviceId, set.Version));
        DeclarationsDocument[] tampered =
        [
            set with { Token = "0" + set.Token[1..] },
            set with { Group = "vehicle-mounts" },
            set with { Apps = [.. set.Apps, new AppDeclaration("com.evil.app", 1, "1.0")] },
            set with { Os = new OsDeclaration("9", null) },
            set with { BatteryHealthFloorPercent = 1 },
            set with { Version = 99 },
            set with { DeviceId = other.DeviceId },
        ];
        foreach (var changed in tampered)
            Assert.Equal(SignedStateRefusal.BadSignature, Refusal(server, device, changed));
        Assert.Equal(SignedStateRefusal.OtherDevice, Refusal(server, device, othersSet));
        Assert.Equal(SignedStateRefusal.NotSigned, Refusal(server, device, set with { Signature = null }));
        using var stranger = SiteSigningKey.CreateNew();
        var strangers = DeclarationSetSignature.Sign(set, device.DeviceId, 2, stranger);
        Assert.Equal(SignedStateRefusal.WrongKey, Refusal(server, device, strangers));

        // A device without a pin trusts the first signing key it sees and refuses any other afterwards.
        var firstUse = new SiteTrust(device.DeviceId);
        firstUse.Accept(firstUse.Check(set));
        Assert.Equal(server.Pin, firstUse.KeySha256);
        Assert.Equal(SignedStateRefusal.WrongKey, firstUse.Check(strangers).Refusal);
    }

    [Fact]
    public async Task The_version_rises_with_the_declarations_and_an_older_set_or_a_reused_version_is_refused()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-VERSIONS");
        var trust = new SiteTrust(device.DeviceId, server.Pin);
        var first = await server.DeclarationsAsync(device.DeviceSecret);
        trust.Accept(trust.Check(first));

        var again = await server.DeclarationsAsync(device.DeviceSecret);
        await HubCatalog.ApplyAsync(server, new HubChange
        {
            Position = 1,
            AtUnixMs = 1_700_000_000_000,
            BlueprintUpserted = new BlueprintUpserted { Group = NewPickers.Group, BlueprintJson = JsonSerializer.Serialize(NewPickers, BlueprintJson.Default.Blueprint) },
        });
        var second = await server.DeclarationsAsync(device.DeviceSecret);
        var takesSecond = trust.Check(second);
        trust.Accept(takesSecond);

        Assert.Equal(1, again.Version);  // unchanged declarations keep their version
        Assert.Equal(2, second.Version);
        Assert.True(takesSecond.Accepted, takesSecond.Message);
        Assert.Equal(SignedStateRefusal.Rollback, trust.Check(first).Refusal);
        // Even the site's own key cannot hand out other content under the version the device holds.
        var reused = DeclarationSetSignature.Sign(first, device.DeviceId, 2, server.Get<SiteTls.SiteSigner>().Key);
        Assert.Equal(SignedStateRefusal.VersionReused, trust.Check(reused).Refusal);
        Assert.True(trust.Check(second).Accepted);  // the held set itself, fetched again, is fine
        // Kept in edge.db, so a restart carries on from it.
        var stored = server.Get<EdgeStorage>().Read(db => db.ExecuteScalar<long>("SELECT version FROM declaration_versions WHERE device_id = ?", device.DeviceId));
        Assert.Equal(2, stored);
    }

    [Fact]
    public async Task After_a_restore_of_an_older_edge_db_the_agent_refuses_the_rollback_and_its_report_lifts_the_version_past_its_own()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-RESTORED");
        // The device holds version 7 of a set this appliance no longer knows: its edge.db was restored from an older copy.
        var trust = new SiteTrust(device.DeviceId, server.Pin, new HeldDeclarations(7, new string('0', 64)));
        using var http = server.CreateClient();
        var agent = new DeviceAgent(new DeviceApiClient(http), new VirtualDevice("SN-RESTORED", 1, server.Clock) { SimulateOutages = false }, device.DeviceSecret, trust)
        {
            FetchesStagingPlan = false,
        };

        var refused = await agent.CheckinAsync();
        var takenAfterRefusal = agent.Device.DeclarationsToken;
        var healed = await agent.CheckinAsync();

        Assert.Contains(refused.Failures, f => f.Exception.Message.Contains("rollback", StringComparison.Ordinal));
        Assert.Null(takenAfterRefusal);  // nothing older applied
        Assert.True(healed.DeclarationsFetched);
        Assert.Equal(8, trust.Held?.Version);  // the site went on above the version the device holds, and said so
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 1300 && e.Message.Contains(device.DeviceId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_agent_refuses_a_set_and_a_command_tampered_in_transit_keeps_what_it_verified_and_the_site_sees_why()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-TAMPER");
        using var tamper = new TamperingHandler(server.Pin!);
        using var http = new HttpClient(tamper) { BaseAddress = server.BaseAddress };
        var agent = new DeviceAgent(new DeviceApiClient(http), new VirtualDevice("SN-TAMPER", 1, server.Clock) { SimulateOutages = false }, device.DeviceSecret, new SiteTrust(device.DeviceId, server.Pin));
        await agent.CheckinAsync();
        var verifiedToken = agent.Device.DeclarationsToken;

        await HubCatalog.ApplyAsync(server, new HubChange
        {
            Position = 1,
            AtUnixMs = 1_700_000_000_000,
            BlueprintUpserted = new BlueprintUpserted { Group = NewPickers.Group, BlueprintJson = JsonSerializer.Serialize(NewPickers, BlueprintJson.Default.Blueprint) },
        });
        var queued = (await server.Get<ICommandStore>().QueueCommandAsync(
            device.DeviceId, "clear-app-data", new Dictionary<string, string>(StringComparer.Ordinal) { ["packageName"] = "com.android.chrome" }, null, "bob", server.Clock.GetUtcNow())).Value!;
        tamper.Active = true;
        var refused = await agent.CheckinAsync();
        tamper.Active = false;
        await agent.CheckinAsync();  // carries the refusal up in its status

        Assert.Equal(verifiedToken, agent.Device.DeclarationsToken);  // still runs the set it verified
        Assert.Equal(1, agent.Trust.Held?.Version);
        Assert.Contains(refused.Failures, f => string.Equals(f.Kind, "declarations:refused", StringComparison.Ordinal));
        Assert.Contains(refused.Failures, f => string.Equals(f.Kind, "command:refused", StringComparison.Ordinal));
        var command = Assert.Single(server.Get<ICommandStore>().ListCommands(device.DeviceId));
        Assert.Equal((queued.CommandId, "failed"), (command.CommandId, command.Status));
        Assert.Contains("signature does not verify", command.ResultMessage, StringComparison.Ordinal);
        var seen = server.Get<IDeviceQueries>().Device(device.DeviceId)!.Reported.DeclarationsVerification;
        Assert.Equal(("bad_signature", 1L, 2L), (seen?.Refusal, seen?.HeldVersion, seen?.RefusedVersion));
    }

    [Fact]
    public async Task Commands_made_at_the_site_and_at_the_hub_are_signed_for_the_device_and_name_their_issuer()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-ISSUER");
        await server.Get<ICommandStore>().QueueCommandAsync(device.DeviceId, "ring", EdgeServer.NoParameters, null, "bob", server.Clock.GetUtcNow());
        await HubCatalog.ApplyAsync(server, new HubChange
        {
            Position = 1,
            CommandQueued = new CommandQueued { CommandId = "0f0e0d0c0b0a09080706050403020100", DeviceId = device.DeviceId, Type = "lock", CreatedBy = "alice@hq" },
        });

        var commands = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest())).Commands;

        var trust = new SiteTrust(device.DeviceId, server.Pin);
        Assert.Equal(
            [("ring", "site:bob", "site"), ("lock", "hub:alice@hq", "hub")],
            commands.Select(c => (c.Type, c.IssuedBy, c.Origin)).OrderBy(c => c.Origin, StringComparer.Ordinal).Reverse().ToArray());
        Assert.All(commands, c => Assert.Null(trust.WhyRefused(c)));
        Assert.All(commands, c => Assert.Equal(device.DeviceId, c.DeviceId));
        Assert.NotNull(new SiteTrust("dev-someone-else", server.Pin).WhyRefused(commands[0]));
        Assert.NotNull(trust.WhyRefused(commands[0] with { IssuedBy = "site:mallory" }));
    }

    private static SignedStateRefusal? Refusal(EdgeServer server, EnrollResponse device, DeclarationsDocument set) =>
        new SiteTrust(device.DeviceId, server.Pin).Check(set).Refusal;

    /// <summary>
    /// A neighbour who could change answers on the way (the TLS pin is checked; the tampering sits inside it, as a
    /// compromised proxy would): while active, it adds an app to declaration sets and rewrites command parameters.
    /// </summary>
    private sealed class TamperingHandler : DelegatingHandler
    {
        public TamperingHandler(string pin)
        {
            var sockets = new SocketsHttpHandler();
            sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => EdgeMdm.Discovery.Service.TlsPin.Matches(certificate, pin);
            InnerHandler = sockets;
        }

        public bool Active { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!Active || response.StatusCode != HttpStatusCode.OK)
                return response;
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!;
            if (request.RequestUri!.AbsolutePath.EndsWith("/declarations", StringComparison.Ordinal))
                json["apps"]!.AsArray().Add(new JsonObject { ["packageName"] = "com.evil.app", ["versionCode"] = 1, ["versionName"] = "1.0" });
            else if (json["commands"] is JsonArray commands)
            {
                foreach (var command in commands)
                    command!["parameters"]!["packageName"] = "com.acme.scan";
            }

            var tampered = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(json.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
            foreach (var header in response.Headers)
                tampered.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Dispose();
            return tampered;
        }
    }
}
