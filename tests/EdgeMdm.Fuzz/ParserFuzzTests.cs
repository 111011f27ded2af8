using System.Net;
using System.Text;
using EdgeMdm.Contracts.Cradles;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.GitOps;

namespace EdgeMdm.Fuzz;

/// <summary>
/// The parsers that read what a neighbour on the site network (mDNS, cradle telemetry), a device (its provisioning QR
/// code) or a person at the hub's console (pasted blueprint YAML) sends: whatever the input, each returns a value or
/// its own documented refusal, never another exception, and its memory follows the input's size.
/// </summary>
public sealed class ParserFuzzTests
{
    private static readonly byte[][] DnsSeeds =
    [
        DnsMessageWriter.Write(new DnsMessage(0, DnsHeaderBits.None, [new DnsQuestion(DnsName.Parse("_edgemdm._tcp.local"), DnsRecordType.NamePointer)], [], [], [])),
        DnsMessageWriter.Write(new DnsMessage(
            0,
            DnsHeaderBits.Response | DnsHeaderBits.Authoritative,
            [],
            [
                new DnsResourceRecord(DnsName.Parse("_edgemdm._tcp.local"), DnsRecordType.NamePointer, DnsClass.Internet, false, 4500, new PtrRecordData(DnsName.Parse("Lyon DC._edgemdm._tcp.local"))),
                new DnsResourceRecord(DnsName.Parse("Lyon DC._edgemdm._tcp.local"), DnsRecordType.Srv, DnsClass.Internet, true, 120, new SrvRecordData(0, 0, 8443, DnsName.Parse("edgemdm-lyon.local"))),
                new DnsResourceRecord(DnsName.Parse("Lyon DC._edgemdm._tcp.local"), DnsRecordType.Txt, DnsClass.Internet, true, 4500, TxtRecordData.FromAttributes([new("site", "dc-lyon-01"), new("pin", new string('a', 64))])),
            ],
            [],
            [new DnsResourceRecord(DnsName.Parse("edgemdm-lyon.local"), DnsRecordType.A, DnsClass.Internet, true, 120, new AddressRecordData(IPAddress.Parse("10.0.0.5")))])),
    ];

    private static readonly byte[][] TelemetrySeeds =
    [
        """{"occupied":true,"content":"device","serial":"S123","battery":87,"charging":true,"fault":null}"""u8.ToArray(),
        """{"occupied":false,"content":"empty","serial":null,"battery":null,"charging":null,"fault":"contact worn","firmware":"2.1"}"""u8.ToArray(),
    ];

    /// <summary>Per byte of packet, the reader's own bound: 127 labels, 16 pointers and a root for a name starting there.</summary>
    private const int MaxDnsWorkPerByte = 127 + DnsMessageReader.MaxJumpsPerName + 1;

    [Fact]
    public void Mdns_packets_never_escape_the_reader_and_cost_what_they_hold()
    {
        Fuzzing.Run(Inputs.Hostile(DnsSeeds, maxRandomLength: 700), ReadDnsPacket, shortPass: 20_000, Fuzzing.Print);
    }

    [Fact]
    public void Cradle_telemetry_decodes_or_says_why_and_what_decodes_encodes_back_the_same()
    {
        Fuzzing.Run(Inputs.Hostile(TelemetrySeeds, maxRandomLength: 700), DecodeTelemetry, shortPass: 20_000, Fuzzing.Print);
    }

    [Fact]
    public void Provisioning_qr_payloads_are_read_or_refused_with_a_format_error()
    {
        Fuzzing.Run(Inputs.MutatedText(QrSeeds()), ReadQr, shortPass: 10_000);
    }

    [Fact]
    public void Blueprint_yaml_is_read_or_refused_with_a_message_naming_the_file()
    {
        var seeds = YamlSeeds();
        var gen = Gen.Frequency((3, Inputs.MutatedText(seeds)), (1, YamlTokens()));
        Fuzzing.Run(gen, ParseBlueprints, shortPass: 1_500);
    }

    [Fact]
    public void Every_corpus_input_is_handled()
    {
        var replayed = 0;
        foreach (var (name, bytes) in Corpus.Entries("mdns"))
            Replay(name, () => ReadDnsPacket(bytes), ref replayed);
        foreach (var (name, bytes) in Corpus.Entries("cradle-telemetry"))
            Replay(name, () => DecodeTelemetry(bytes), ref replayed);
        foreach (var (name, bytes) in Corpus.Entries("provisioning-qr"))
            Replay(name, () => ReadQr(Encoding.UTF8.GetString(bytes)), ref replayed);
        foreach (var (name, bytes) in Corpus.Entries("blueprint-yaml"))
            Replay(name, () => ParseBlueprints(Encoding.UTF8.GetString(bytes)), ref replayed);
        Assert.True(replayed > 0, "the corpus folder was not copied beside the tests");
    }

    private static void Replay(string name, Action check, ref int replayed)
    {
        var failure = Record.Exception(check);
        Assert.True(failure is null, $"corpus input {name}: {failure}");
        replayed++;
    }

    private static void ReadDnsPacket(byte[] packet)
    {
        DnsReadResult? result = null;
        Fuzzing.AssertBoundedAllocation(packet.Length, perInputByte: 400, fixedBytes: 16_384, () => result = DnsMessageReader.Read(packet), "the mDNS reader");
        Assert.True(result!.Work <= (MaxDnsWorkPerByte * packet.Length) + 1, $"work {result.Work} for {packet.Length} bytes");
        Assert.True(result.Message is not null || packet.Length < DnsMessageReader.HeaderLength, "a packet with a whole header lost its message");
    }

    private static void DecodeTelemetry(byte[] payload)
    {
        SlotTelemetry? telemetry = null;
        string? error = null;
        Fuzzing.AssertBoundedAllocation(payload.Length, perInputByte: 64, fixedBytes: 16_384, () => telemetry = CradleTelemetryCodec.Decode(payload, out error), "the telemetry codec");
        Assert.True((telemetry is null) != (error is null), $"telemetry {(telemetry is null ? "null" : "decoded")} with error '{error}'");
        if (telemetry is null)
            return;
        Assert.Null(CradleTelemetryCodec.Check(telemetry));
        var again = CradleTelemetryCodec.Decode(CradleTelemetryCodec.Encode(telemetry, out var encodeError), out var decodeError);
        Assert.Equal((null, null), (encodeError, decodeError));
        Assert.Equal(
            (telemetry.Occupied, telemetry.Content, telemetry.Serial, telemetry.Battery, telemetry.ChargingReported, telemetry.Charging, telemetry.Fault),
            (again!.Occupied, again.Content, again.Serial, again.Battery, again.ChargingReported, again.Charging, again.Fault));
    }

    private static void ReadQr(string payload)
    {
        try
        {
            var code = ProvisioningQr.Read(payload);
            Assert.NotEmpty(code.Urls);
        }
        catch (FormatException refused)
        {
            Assert.False(string.IsNullOrWhiteSpace(refused.Message));
        }
    }

    private static void ParseBlueprints(string yaml)
    {
        try
        {
            BlueprintYaml.ParseFile(yaml, "pasted text", required: false, static _ => null, knownPlans: null);
        }
        catch (BlueprintFileException refused)
        {
            Assert.StartsWith("pasted text", refused.Message, StringComparison.Ordinal);
        }
    }

    private static string[] QrSeeds()
    {
        var code = new EnrollmentCode(
            EnrollmentCode.CurrentVersion, ["https://10.0.0.5:8443", "https://edgemdm-lyon.local:8443"], "tok-0001", "dc-lyon-01", "batch-7", 3, new string('a', 64), "c2lnbmF0dXJl");
        return
        [
            ProvisioningQr.Write(code, "com.edgemdm.agent/.Admin", new ProvisioningQr.AdminDownload("https://10.0.0.5:8443/api/v1/staging/agent-package/abc", "q83v")),
            ProvisioningQr.Write(code, "com.edgemdm.agent/.Admin", download: null),
        ];
    }

    private static string[] YamlSeeds() =>
    [
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "site-seed.yaml")),
        """
        blueprints:
          - group: pickers
            stagingPlan: scanner-standard
        stagingPlans:
          - name: scanner-standard
            steps:
              - kind: enroll
              - kind: managedConfig
                packageName: com.zebra.oemconfig.common
                values: {scanner: {decoders: {qr: true}}}
              - kind: installApps
              - kind: wifi
                ssid: dc-floor
                security: wpa2-psk
                psk: literal-secret
              - kind: pairPeripheral
                peripheral: ring-scanner
                addressPattern: "00:1B:*"
              - kind: settings
                values: {screen.timeoutSeconds: 300}
              - kind: verify
        """,
    ];

    /// <summary>YAML built from its own punctuation and this schema's keys: anchors, aliases, tags, flow and block nesting.</summary>
    private static Gen<string> YamlTokens() =>
        Gen.OneOf(
            "blueprints:", "stagingPlans:", "group: ", "apps:", "packageName: ", "versionCode: ", "values: ", "steps:", "kind: ",
            "- ", "  ", "\n", ": ", "{", "}", "[", "]", ", ", "&a ", "*a", "!!str ", "!!map ", "? ", "|", ">", "'", "\"", "#", "---\n",
            "...", "<<: *a", "~", "null", "99999999999999999999", "-1", "1e400", "\t", "\\u0000", "x")
        .Array[0, 120]
        .Select(tokens => string.Concat(tokens));
}
