using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeMdm.Edge.Tests;

namespace EdgeMdm.Fuzz;

/// <summary>
/// The appliance's device API over real HTTPS, as a device on the warehouse Wi-Fi reaches it: whatever the body of a
/// check-in, an enrollment or a command result, the answer is a success or a 4xx with a problem body, never a 5xx,
/// and the appliance goes on answering a well-formed check-in.
/// </summary>
public sealed class ApplianceFuzzTests(ApplianceFuzzTests.Appliance appliance) : IClassFixture<ApplianceFuzzTests.Appliance>
{
    private static readonly string[] CheckinSeeds =
    [
        "{}",
        """{"declarationsToken":"0123456789abcdef0123456789abcdef","status":null}""",
        """
        {"declarationsToken":"0123456789abcdef0123456789abcdef","status":{
          "apps":[{"packageName":"com.edgemdm.sample.scanner","versionCode":100,"versionName":"1.0.0"}],
          "os":{"version":"14","securityPatch":"2025-06-01"},
          "battery":{"level":80,"healthPercent":90,"cycleCount":12,"charging":true,"docked":true,"serial":"B-1","timeToFullMinutes":30,"dockedAt":{"cradleId":"gpio-1","slot":2}},
          "storage":{"freeBytes":1000000,"totalBytes":32000000000},
          "wifi":{"ssid":"WH-FLOOR","rssi":-60,"bssid":"00:11:22:33:44:55"},
          "configurations":[{"id":"wifi-floor","appliedHash":"abc"}],
          "certificates":[{"name":"site-wifi","notAfter":"2027-01-01T00:00:00Z"}],
          "staging":{"completedSteps":1,"totalSteps":3,"currentStep":"wifi","plan":"p","planHash":"h","steps":[{"stepId":"enroll","state":"succeeded","attempts":1,"startedAt":"2026-11-24T08:00:00Z","finishedAt":"2026-11-24T08:01:00Z","error":null}]},
          "installFailures":[{"packageName":"com.x","versionCode":3,"reason":"storage","message":"full","at":"2026-11-24T08:00:00Z"}]}}
        """,
    ];

    private static readonly string[] EnrollSeeds =
    [
        $$"""{"enrollmentToken":"{{EdgeServer.Token}}","serial":"FZ-1","model":"TC52","manufacturer":"Zebra","osVersion":"14","agentVersion":"1.0.0"}""",
        """
        {"enrollmentToken":"tok","serial":"FZ-2","model":"TC52","manufacturer":"Zebra","osVersion":"14","agentVersion":"1.0.0",
         "code":{"version":1,"urls":["https://10.0.0.5:8443"],"siteId":"dc-demo-01","batchId":"b","slot":1,"tlsPin":"aa","signature":"AAAA"}}
        """,
    ];

    private static readonly string[] CommandResultSeeds =
    [
        """{"status":"succeeded","message":"done","timestamp":"2026-11-24T08:00:00Z"}""",
        """{"status":"failed","message":null}""",
    ];

    [Fact]
    public Task Checkin_bodies_get_an_answer_or_a_problem_never_a_server_error() =>
        Fuzzing.RunAsync(Inputs.Hostile([.. CheckinSeeds.Select(Encoding.UTF8.GetBytes)], 300), body => appliance.AssertHandledAsync(HttpMethod.Post, "/api/v1/checkin", body, appliance.DeviceSecret), shortPass: 300, Fuzzing.Print);

    [Fact]
    public Task Enrollment_bodies_get_an_answer_or_a_problem_never_a_server_error() =>
        Fuzzing.RunAsync(Inputs.Hostile([.. EnrollSeeds.Select(Encoding.UTF8.GetBytes)], 300), body => appliance.AssertHandledAsync(HttpMethod.Post, "/api/v1/enroll", body, secret: null), shortPass: 300, Fuzzing.Print);

    [Fact]
    public Task Command_result_bodies_get_an_answer_or_a_problem_never_a_server_error() =>
        Fuzzing.RunAsync(Inputs.Hostile([.. CommandResultSeeds.Select(Encoding.UTF8.GetBytes)], 300), body => appliance.AssertHandledAsync(HttpMethod.Post, $"/api/v1/commands/{appliance.CommandId}/result", body, appliance.DeviceSecret), shortPass: 200, Fuzzing.Print);

    [Fact]
    public async Task Every_corpus_body_is_handled()
    {
        foreach (var (_, body) in Corpus.Entries("checkin"))
            await appliance.AssertHandledAsync(HttpMethod.Post, "/api/v1/checkin", body, appliance.DeviceSecret);
        foreach (var (_, body) in Corpus.Entries("enroll"))
            await appliance.AssertHandledAsync(HttpMethod.Post, "/api/v1/enroll", body, secret: null);
        await appliance.AssertStillServesAsync();
    }

    /// <summary>One appliance for the class: the limits that would slow a fuzzer from one address are off.</summary>
    public sealed class Appliance : IAsyncLifetime
    {
        private EdgeServer _server = null!;

        public string DeviceSecret { get; private set; } = "";

        public string CommandId { get; private set; } = "";

        public async Task InitializeAsync()
        {
            _server = await EdgeServer.StartAsync(
                "--Edge:Limits:EnrollmentsPerSecondPerAddress", "0", "--Edge:Limits:CheckinsPerSecondPerDevice", "0");
            var device = await _server.EnrollAsync("FZ-DEVICE");
            DeviceSecret = device.DeviceSecret;
            CommandId = (await _server.QueueCommandAsync(device.DeviceId, "ring")).CommandId;
        }

        public async Task DisposeAsync()
        {
            await AssertStillServesAsync();
            await _server.DisposeAsync();
        }

        /// <summary>Sends the body as JSON and asserts a 2xx/3xx, or a 4xx whose body is an RFC 9457 problem.</summary>
        public async Task AssertHandledAsync(HttpMethod method, string path, byte[] body, string? secret)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (secret is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            using var response = await _server.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{method} {path} answered {status}: {text}");
            if (status < 400)
                return;
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(text);
            Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()));
        }

        /// <summary>A well-formed check-in still gets its 200: the fuzzed requests left nothing broken behind.</summary>
        public async Task AssertStillServesAsync() => await _server.CheckinOkAsync(DeviceSecret, new CheckinRequest());
    }
}
