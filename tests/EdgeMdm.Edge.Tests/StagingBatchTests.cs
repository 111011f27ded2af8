using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using EdgeMdm.Agent;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Staging.Batches;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Staging batches on an appliance served over https the way a site is (its own certificate, devices pinning it): the
/// sheet's codes, read back by a real QR reader, enroll devices through the agent's own code path, and every bad code
/// or batch is refused with its own reason and writes nothing.
/// </summary>
public sealed class StagingBatchTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private EdgeServer _server = null!;
    private RefusalReasons _refusals = null!;

    public async Task InitializeAsync()
    {
        _server = await EdgeServer.StartAsync("--urls", "https://127.0.0.1:0");
        _refusals = new RefusalReasons(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _refusals.Dispose();

    private Uri Url => _server.Http.BaseAddress!;

    private Task<MadeBatch> MakeBatchAsync(int count, TimeSpan? lifetime = null) =>
        _server.Get<BatchMaker>().MakeAsync(
            _server.DataDir, "pickers", plan: null, count, _server.Clock.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(8)), [Url], "operator:test", _server.Clock.GetUtcNow());

    private static Task<CodeEnrolled> EnrollFromAsync(string payload, string serial) =>
        CodeEnrollment.EnrollAsync(CodeEnrollment.Read(payload), EdgeServer.Enrollment(serial), Timeout);

    [Fact]
    public async Task A_code_on_the_sheet_decodes_with_zbarimg_to_the_exact_payload_and_that_payload_enrolls_a_device_over_pinned_tls()
    {
        // Arrange
        var made = await MakeBatchAsync(3);
        var directory = BatchSheet.DirectoryOf(_server.DataDir, made.Batch.Id);
        var png = Path.Combine(directory, BatchSheet.PngName(2));

        // Act: a real reader decodes the printed code; the agent enrolls from exactly what it read
        var decoded = await ZbarimgAsync(png);
        var enrolled = await EnrollFromAsync(decoded, "SN-QR-0002");

        // Assert: the exact payload, and the device is the batch's, slot 2
        Assert.Equal(made.Codes[1].Payload, decoded);
        Assert.Equal(made.SheetPath, Path.Combine(directory, BatchSheet.SheetFile));
        Assert.Equal(Url, enrolled.Server);
        Assert.Equal(("dc-demo-01", "pickers"), (enrolled.Response.SiteId, enrolled.Response.Group));
        var batches = _server.Get<IStagingBatches>();
        Assert.Equal(1, batches.Find(made.Batch.Id)!.Enrolled);
        var member = Assert.Single(batches.MembersOf(made.Batch.Id));
        Assert.Equal((enrolled.Response.DeviceId, (int?)2), (member.DeviceId, member.Slot));
        Assert.Equal(made.Batch.Id, batches.BatchOf(enrolled.Response.DeviceId));
        // Upstream: the batch once, and the device's enrollment naming it
        var changes = Outbox();
        var created = Assert.Single(changes, c => c.ChangeCase == SiteChange.ChangeOneofCase.StagingBatchCreated).StagingBatchCreated;
        Assert.Equal((made.Batch.Id, "pickers", "", 3u), (created.BatchId, created.Group, created.Plan, created.Count));
        Assert.Equal(made.Batch.Id, Assert.Single(changes, c => c.ChangeCase == SiteChange.ChangeOneofCase.Enrolled).Enrolled.BatchId);
    }

    [Fact]
    public async Task The_sheet_holds_a_png_and_svg_per_slot_the_payloads_and_printable_html_with_no_external_asset()
    {
        // Act
        var made = await MakeBatchAsync(4);

        // Assert
        var directory = BatchSheet.DirectoryOf(_server.DataDir, made.Batch.Id);
        Assert.Equal([directory], Directory.GetDirectories(Path.GetDirectoryName(directory)!)); // no partial sheet left beside it
        for (var slot = 1; slot <= 4; slot++)
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(directory, BatchSheet.PngName(slot)))[..4]);
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(directory, BatchSheet.SvgName(slot))), StringComparison.Ordinal);
        }

        using var payload = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, BatchSheet.PayloadFile)));
        Assert.Equal(made.Codes.Select(c => c.Payload), payload.RootElement.GetProperty("slots").EnumerateArray().Select(s => s.GetString()));
        var html = File.ReadAllText(made.SheetPath);
        Assert.Contains("size: A4", html, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("<section class=\"label\">").Length - 1);
        Assert.Contains("4 / 4", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
        // Every slot's code carries the same token, its own slot and a signature of its own
        var codes = made.Codes.Select(c => CodeEnrollment.Read(c.Payload)).ToList();
        Assert.Single(codes.Select(c => c.Token).Distinct());
        Assert.Equal([1, 2, 3, 4], codes.Select(c => c.Slot));
        Assert.Equal(4, codes.Select(c => c.Signature).Distinct().Count());
        Assert.All(codes, c => Assert.Equal(_server.Get<SiteCertificates>().Pin, c.TlsPin));
    }

    [Fact]
    public async Task A_sheet_that_cannot_be_written_leaves_no_batch_and_no_token()
    {
        // Arrange: where the sheets go is a file, not a directory
        Directory.CreateDirectory(Path.Combine(_server.DataDir, "staging"));
        await File.WriteAllTextAsync(Path.Combine(_server.DataDir, "staging", "batches"), "in the way");
        var tokensBefore = _server.Get<Enrollment.ITokenStore>().ListTokens().Count;

        // Act
        await Assert.ThrowsAnyAsync<IOException>(() => MakeBatchAsync(2));

        // Assert
        Assert.Empty(_server.Get<IStagingBatches>().List());
        Assert.Equal(tokensBefore, _server.Get<Enrollment.ITokenStore>().ListTokens().Count);
        Assert.DoesNotContain(Outbox(), c => c.ChangeCase == SiteChange.ChangeOneofCase.StagingBatchCreated);
    }

    [Fact]
    public async Task Without_the_agent_package_the_codes_have_no_download_keys_and_the_operator_is_warned_with_it_they_point_at_the_appliance()
    {
        // Arrange
        var without = await MakeBatchAsync(1);
        using var hub = new HubCatalog();
        var agent = hub.Package("com.edgemdm.agent", 7, 5000);
        await HubCatalog.ApplyAsync(_server, hub.Key(), hub.Published(agent));

        // Act
        var with = await MakeBatchAsync(1);

        // Assert
        Assert.Contains("no com.edgemdm.agent package", without.Warning, StringComparison.Ordinal);
        Assert.DoesNotContain(Contracts.Device.ProvisioningQr.DownloadLocation, without.Codes[0].Payload, StringComparison.Ordinal);
        Assert.Null(with.Warning);
        using var payload = JsonDocument.Parse(with.Codes[0].Payload);
        var root = payload.RootElement;
        Assert.Equal("com.edgemdm.agent/.AdminReceiver", root.GetProperty(Contracts.Device.ProvisioningQr.AdminComponent).GetString());
        Assert.Equal(new Uri(Url, "/api/v1/staging/agent-package/" + agent.Sha256).ToString(), root.GetProperty(Contracts.Device.ProvisioningQr.DownloadLocation).GetString());
        Assert.Equal(
            Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(agent.Bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            root.GetProperty(Contracts.Device.ProvisioningQr.PackageChecksum).GetString());
    }

    [Fact]
    public async Task The_anonymous_agent_download_serves_the_agent_package_and_no_other()
    {
        // Arrange: the agent and another app, both cached
        using var hub = new HubCatalog();
        var agent = hub.Package("com.edgemdm.agent", 7, 5000);
        var other = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, 4000);
        await HubCatalog.ApplyAsync(_server, hub.Key(), hub.Published(agent), hub.Published(other));
        await HubCatalog.CacheAsync(_server, agent);
        await HubCatalog.CacheAsync(_server, other);
        using var anonymous = new HttpClient(AgentHttp.CreateHandler(1, _server.Get<SiteCertificates>().Pin)) { BaseAddress = Url };

        // Act
        using var served = await anonymous.GetAsync(new Uri("/api/v1/staging/agent-package/" + agent.Sha256, UriKind.Relative));
        using var refused = await anonymous.GetAsync(new Uri("/api/v1/staging/agent-package/" + other.Sha256, UriKind.Relative));
        using var malformed = await anonymous.GetAsync(new Uri("/api/v1/staging/agent-package/..%2Fsite.db", UriKind.Relative));
        using var credentialed = await anonymous.GetAsync(new Uri("/api/v1/packages/" + agent.Sha256, UriKind.Relative));

        // Assert
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(agent.Bytes, await served.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("serves only com.edgemdm.agent", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, credentialed.StatusCode); // the device route still needs a device
    }

    [Fact]
    public async Task A_token_of_an_expired_batch_is_refused_and_nothing_is_written()
    {
        var made = await MakeBatchAsync(2, TimeSpan.FromHours(1));
        _server.Clock.Advance(TimeSpan.FromHours(1));

        await AssertRefusedAsync(made.Codes[0].Payload, "SN-LATE", "batch_expired", $"batch {made.Batch.Id} expired at", made.Batch.Id);
    }

    [Fact]
    public async Task A_token_of_a_finished_batch_is_refused_with_how_many_enrolled()
    {
        var made = await MakeBatchAsync(2);
        await EnrollFromAsync(made.Codes[0].Payload, "SN-FIRST");
        await EnrollFromAsync(made.Codes[1].Payload, "SN-SECOND");

        await AssertRefusedAsync(made.Codes[1].Payload, "SN-THIRD", "batch_finished", $"batch {made.Batch.Id} is finished: 2 of 2 enrolled", made.Batch.Id, enrolledBefore: 2);
    }

    [Fact]
    public async Task A_code_made_for_another_site_is_refused_naming_both_sites()
    {
        // Arrange: a code this appliance's own key signed, but for site dc-other (a sheet mixed up between two sites)
        var made = await MakeBatchAsync(1);
        var code = CodeEnrollment.Read(made.Codes[0].Payload);
        var forOther = Resigned(code with { SiteId = "dc-other" });

        // Act + Assert: the appliance refuses, and the agent reports it in those words
        var failure = await Assert.ThrowsAsync<DeviceApiException>(() => EnrollFromAsync(forOther, "SN-ELSEWHERE"));
        Assert.Contains("code made for site dc-other, this appliance is site dc-demo-01", failure.Message, StringComparison.Ordinal);
        await AssertRefusedAsync(forOther, "SN-ELSEWHERE-2", "code_other_site", "code made for site dc-other, this appliance is site dc-demo-01", made.Batch.Id);
    }

    [Fact]
    public async Task A_tampered_code_is_refused_when_its_signature_does_not_verify_over_the_fields_sent()
    {
        var made = await MakeBatchAsync(3);
        var payload = made.Codes[0].Payload;
        // The slot changed on the printed text (a copied label), and in another code the signature of a third slot.
        var otherSlot = payload.Replace("\"com.edgemdm.SLOT\":\"1\"", "\"com.edgemdm.SLOT\":\"3\"", StringComparison.Ordinal);
        var code = CodeEnrollment.Read(payload);
        var swappedSignature = Contracts.Device.ProvisioningQr.Write(
            code with { Signature = CodeEnrollment.Read(made.Codes[2].Payload).Signature }, "com.edgemdm.agent/.AdminReceiver", null);

        Assert.NotEqual(payload, otherSlot);
        await AssertRefusedAsync(otherSlot, "SN-EDITED", "code_tampered", "does not verify over the fields sent", made.Batch.Id);
        await AssertRefusedAsync(swappedSignature, "SN-SWAPPED", "code_tampered", "does not verify over the fields sent", made.Batch.Id);
    }

    [Fact]
    public async Task Agent_enroll_with_qr_file_needs_no_other_input_and_keeps_the_pin()
    {
        // Arrange
        var made = await MakeBatchAsync(2);
        var codeFile = Path.Combine(_server.DataDir, "scanned.json");
        var statePath = Path.Combine(_server.DataDir, "agent-state.json");
        await File.WriteAllTextAsync(codeFile, made.Codes[1].Payload);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        // Act
        var exitCode = await Agent.Cli.AgentCli.RunAsync(["enroll", "--qr", codeFile, "--serial", "SN-CLI-QR", "--state", statePath], stdout, stderr);

        // Assert
        Assert.True(exitCode == 0, stderr.ToString());
        var deviceId = stdout.ToString().Trim();
        Assert.Equal(made.Batch.Id, _server.Get<IStagingBatches>().BatchOf(deviceId));
        Assert.Contains($"batch {made.Batch.Id} slot 2", stderr.ToString(), StringComparison.Ordinal);
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(statePath));
        Assert.Equal(_server.Get<SiteCertificates>().Pin, state.RootElement.GetProperty("tlsSpkiSha256").GetString());
    }

    [Fact]
    public async Task Agent_enroll_with_qr_refuses_a_code_whose_pin_is_not_the_appliance_s()
    {
        var made = await MakeBatchAsync(1);
        var code = CodeEnrollment.Read(made.Codes[0].Payload);
        var otherPin = Resigned(code with { TlsPin = new string('a', 64) });
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await Agent.Cli.AgentCli.RunAsync(["enroll", "--qr", otherPin, "--serial", "SN-WRONG-PIN", "--state", Path.Combine(_server.DataDir, "s.json")], stdout, stderr);

        Assert.Equal(1, exitCode);
        Assert.Contains("pinned certificate", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, _server.Get<IStagingBatches>().Find(made.Batch.Id)!.Enrolled);
    }

    [Fact]
    public async Task Simulate_staging_batch_enrolls_each_device_from_its_own_slot()
    {
        // Arrange
        var made = await MakeBatchAsync(5);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        // Act: the simulator reads the batch's directory on the appliance's machine, as in `make run`
        var exitCode = await Agent.Cli.AgentCli.RunAsync(
            ["simulate", "--staging-batch", BatchSheet.DirectoryOf(_server.DataDir, made.Batch.Id), "--duration", "2s", "--interval", "1s", "--sample-app", "none", "--json"], stdout, stderr);

        // Assert
        Assert.True(exitCode == 0, stderr.ToString() + stdout);
        using var report = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(5, report.RootElement.GetProperty("enrolled").GetInt32());
        var members = _server.Get<IStagingBatches>().MembersOf(made.Batch.Id);
        Assert.Equal([1, 2, 3, 4, 5], members.Select(m => m.Slot ?? 0).Order());
        Assert.True(_server.Get<IStagingBatches>().Find(made.Batch.Id)!.IsFinished);
    }

    /// <summary>
    /// Enrolls <paramref name="serial"/> from <paramref name="payload"/> and checks the answer is 403 with the problem type
    /// and detail of <paramref name="reason"/>, counted under it, and that nothing was written: no device, no member, no
    /// use of the token, nothing for the hub.
    /// </summary>
    private async Task AssertRefusedAsync(string payload, string serial, string reason, string detail, string batchId, int enrolledBefore = 0)
    {
        var outboxBefore = Outbox().Count;
        var code = CodeEnrollment.Read(payload);
        using var client = new HttpClient(AgentHttp.CreateHandler(1, code.TlsPin)) { BaseAddress = Url };
        var request = EdgeServer.Enrollment(serial, code.Token) with { Code = code.Proof() };

        using var response = await client.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:edgemdm:problem:enrollment:" + reason.Replace('_', '-'), problem.RootElement.GetProperty("type").GetString());
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(reason, _refusals.Reasons);
        Assert.Equal(enrolledBefore, _server.Get<IStagingBatches>().Find(batchId)!.Enrolled);
        Assert.Equal(outboxBefore, Outbox().Count);
        Assert.Equal(0L, _server.Get<EdgeStorage>().Read(db => db.ExecuteScalar<long>("SELECT count(*) FROM devices WHERE serial = ?", serial)));
        Assert.Equal((long)enrolledBefore, _server.Get<EdgeStorage>().Read(db => db.ExecuteScalar<long>(
            "SELECT t.uses_count FROM enrollment_tokens t JOIN staging_batches b ON b.token_hash = t.token_hash WHERE b.id = ?", batchId)));
    }

    /// <summary>The code's payload with its fields as given and a signature this appliance's key made over them.</summary>
    private string Resigned(Contracts.Device.EnrollmentCode code)
    {
        var signed = Contracts.Device.EnrollmentCode.SignedText(code.Version, code.Urls, code.Token, code.SiteId, code.BatchId, code.Slot, code.TlsPin);
        var signature = System.Buffers.Text.Base64Url.EncodeToString(_server.Get<SiteCertificates>().SignWithAuthority(signed));
        return Contracts.Device.ProvisioningQr.Write(code with { Signature = signature }, "com.edgemdm.agent/.AdminReceiver", null);
    }

    private List<SiteChange> Outbox() =>
        _server.Get<EdgeStorage>().Read(db => db.Query<OutboxRow>("SELECT payload AS Payload FROM outbox ORDER BY sequence"))
            .Select(row => SiteChange.Parser.ParseFrom(row.Payload))
            .ToList();

    /// <summary>Debian's zbarimg (zbar-tools, installed by tests/scripts/setup.sh): the payload it reads from the image, as it printed it.</summary>
    private static async Task<string> ZbarimgAsync(string png)
    {
        var start = new ProcessStartInfo("zbarimg") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--raw", "--quiet", "-Sqrcode.enable", png })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"zbarimg exited {process.ExitCode}: {await error}");
        // zbarimg ends each symbol's data with a newline of its own.
        var text = await output;
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text[..^1];
    }

    private sealed class OutboxRow
    {
        public byte[] Payload { get; set; } = [];
    }

    /// <summary>The <c>reason</c> of every refusal counted on <c>edgemdm.enrollments.refused</c> by this appliance.</summary>
    private sealed class RefusalReasons : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<string> _reasons = new();

        public RefusalReasons(EdgeServer server)
        {
            var factory = server.Get<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && string.Equals(instrument.Meter.Name, EdgeMetrics.MeterName, StringComparison.Ordinal)
                    && string.Equals(instrument.Name, "edgemdm.enrollments.refused", StringComparison.Ordinal))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (string.Equals(tag.Key, "reason", StringComparison.Ordinal))
                        _reasons.Enqueue((string)tag.Value!);
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<string> Reasons => [.. _reasons];

        public void Dispose() => _listener.Dispose();
    }
}
