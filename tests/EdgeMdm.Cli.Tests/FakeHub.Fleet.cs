using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cli.Tests;

// The fleet side of the fake hub: enrollment tokens, commands and devices.
public sealed partial class FakeHub
{
    private void MapCommandsAndDevices(WebApplication app)
    {
        app.MapPost("/api/v1/sites/{siteId}/tokens", (string siteId, JsonObject body) =>
        {
            Bodies[$"/api/v1/sites/{siteId}/tokens"] = body.DeepClone();
            if (!Sites.ContainsKey(siteId))
                return Results.Problem(title: "Not found", detail: $"no site {siteId}", statusCode: 404);
            return Results.Json(new { token = "tok-" + Next() + "-abcdefghijklmnop", group = body["group"]?.GetValue<string>(), uses = body["uses"]?.GetValue<long>() }, statusCode: 201);
        });

        // As the hub: {deviceId[, siteId]} (the site found from the devices when left out: 404 none, 409 several)
        // answers {commandId, siteId}; {group[, siteId]} queues one per non-retired device and answers {commandIds}.
        app.MapPost("/api/v1/commands", (JsonObject body) =>
        {
            Bodies["/api/v1/commands"] = body.DeepClone();
            var siteId = body["siteId"]?.GetValue<string>();
            var type = body["type"]?.GetValue<string>();
            var reason = body["reason"]?.GetValue<string>() ?? "";
            if (UnknownType(type) is { } refused)
                return refused;
            if (string.Equals(type, "wipe", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(reason))
                return Results.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["reason"] = ["is required for a wipe: it goes into the audit trail"] });
            if (body["group"]?.GetValue<string>() is { } group)
            {
                var members = Devices.Where(d => string.Equals(d["group"]?.GetValue<string>(), group, StringComparison.Ordinal)
                    && !string.Equals(d["state"]?.GetValue<string>(), "Retired", StringComparison.Ordinal)
                    && (siteId is null || string.Equals(d["siteId"]?.GetValue<string>(), siteId, StringComparison.Ordinal))).ToList();
                if (members.Count == 0)
                    return Results.Problem(title: "Not found", detail: $"no device of group {group}", statusCode: 404);
                // As the hub whose threshold is under the group's size: a wipe of a group waits for a second person (202).
                if (string.Equals(type, "wipe", StringComparison.Ordinal))
                    return Results.Text(Hold(group, members, reason).ToJsonString(), "application/json", statusCode: 202);
                var ids = members.Select(d => Queue(d["siteId"]!.GetValue<string>(), d["deviceId"]!.GetValue<string>(), type, reason)).ToList();
                return Results.Json(new { group, commandIds = ids }, statusCode: 201);
            }

            var deviceId = body["deviceId"]?.GetValue<string>();
            if (siteId is null)
            {
                var found = Devices.Where(d => string.Equals(d["deviceId"]?.GetValue<string>(), deviceId, StringComparison.Ordinal)).ToList();
                if (found.Count != 1)
                {
                    return found.Count == 0
                        ? Results.Problem(title: "Not found", detail: $"the hub knows no device '{deviceId}'", statusCode: 404)
                        : Results.Problem(title: "Conflict", detail: $"device '{deviceId}' is known at several sites", statusCode: 409);
                }

                siteId = found[0]["siteId"]!.GetValue<string>();
            }

            return Results.Json(new { commandId = Queue(siteId, deviceId, type, reason), siteId }, statusCode: 201);
        });

        app.MapGet("/api/v1/commands/{id}", (string id) =>
            Commands.TryGetValue(id, out var command)
                ? Results.Text(command.ToJsonString(), "application/json")
                : Results.Problem(title: "Not found", detail: $"no command {id}", statusCode: 404));

        MapDeviceShow(app);
        MapApprovals(app);
    }

    /// <summary>The hub's 422 for a type the agent does not know, or null.</summary>
    private static IResult? UnknownType(string? type) => EdgeMdm.Contracts.Device.DeviceCommandTypes.IsKnown(type)
        ? null
        : Results.Problem(
            title: "Unknown command type", statusCode: 422,
            detail: $"the device agent does not know the command type '{type}'; known types: {string.Join(", ", EdgeMdm.Contracts.Device.DeviceCommandTypes.All)}");

    private void MapDeviceShow(WebApplication app)
    {
        app.MapGet("/api/v1/devices", (string? site) =>
        {
            var devices = Devices.Where(d => site is null || string.Equals(d["siteId"]?.GetValue<string>(), site, StringComparison.Ordinal));
            return Results.Text(new JsonArray(devices.Select(d => (JsonNode)d.DeepClone()).ToArray()).ToJsonString(), "application/json");
        });

        // By id, else by serial (as the hub): 404 for none, 409 naming the candidates for several.
        app.MapGet("/api/v1/devices/{device}", (string device, string? site) =>
        {
            bool Is(JsonObject d, string field, string value) => string.Equals(d[field]?.GetValue<string>(), value, StringComparison.Ordinal);
            var inSite = Devices.Where(d => site is null || Is(d, "siteId", site)).ToList();
            var found = inSite.Where(d => Is(d, "deviceId", device)).ToList() is { Count: > 0 } byId ? byId : inSite.Where(d => Is(d, "serial", device)).ToList();
            if (found.Count == 0)
                return Results.Problem(title: "Not found", detail: $"the hub knows no device '{device}' (by id or serial)", statusCode: 404);
            if (found.Count > 1)
            {
                var candidates = string.Join(", ", found.Select(d => $"{d["deviceId"]} (serial {d["serial"]}) at {d["siteId"]}"));
                return Results.Problem(title: "Conflict", detail: $"'{device}' names {found.Count} devices: {candidates}; give siteId (--site) or the device id", statusCode: 409);
            }

            var history = new JsonArray(new JsonObject { ["sequence"] = 1, ["fromState"] = "", ["toState"] = "Enrolling", ["actor"] = "device", ["reason"] = "enrolled", ["at"] = "2026-11-20T08:00:00+00:00" });
            return Results.Text(new JsonObject { ["device"] = found[0].DeepClone(), ["history"] = history }.ToJsonString(), "application/json");
        });
    }

    /// <summary>Requests held for a second person, by id, in the hub's ApprovalRecord shape.</summary>
    public ConcurrentDictionary<string, JsonObject> Approvals { get; } = new(StringComparer.Ordinal);

    private JsonObject Hold(string group, List<JsonObject> members, string reason)
    {
        var id = "apr-" + Next();
        Approvals[id] = new JsonObject
        {
            ["approvalId"] = id, ["action"] = "Wipe", ["type"] = "wipe", ["target"] = "group " + group, ["devices"] = members.Count,
            ["sites"] = new JsonArray(members.Select(m => (JsonNode)m["siteId"]!.GetValue<string>()).Distinct().ToArray()), ["reason"] = reason,
            ["requestedBy"] = "token:tests", ["requestedAt"] = "2026-11-20T08:00:00+00:00", ["expiresAt"] = "2026-11-20T09:00:00+00:00",
            ["status"] = "Pending", ["commandIds"] = new JsonArray(), ["members"] = new JsonArray(members.Select(m => m.DeepClone()).ToArray()),
        };
        return Approvals[id];
    }

    /// <summary>As the hub: the list (pending ones unless <c>all</c>), and an approval that queues once (409 the second time).</summary>
    private void MapApprovals(WebApplication app)
    {
        app.MapGet("/api/v1/approvals", (bool? all) => Results.Text(
            new JsonArray(Approvals.Values.Where(a => all == true || string.Equals(a["status"]!.GetValue<string>(), "Pending", StringComparison.Ordinal))
                .Select(a => a.DeepClone()).ToArray()).ToJsonString(),
            "application/json"));
        app.MapPost("/api/v1/approvals/{id}/approve", (string id) =>
        {
            if (!Approvals.TryGetValue(id, out var approval))
                return Results.Problem(title: "Not found", detail: $"no approval request '{id}'", statusCode: 404);
            if (!string.Equals(approval["status"]!.GetValue<string>(), "Pending", StringComparison.Ordinal))
                return Results.Problem(title: "Already approved", detail: $"request {id} was already approved by {approval["approvedBy"]}; its commands are queued", statusCode: 409);
            var ids = approval["members"]!.AsArray().Select(m => (JsonNode)Queue(m!["siteId"]!.GetValue<string>(), m["deviceId"]!.GetValue<string>(), "wipe", approval["reason"]!.GetValue<string>())).ToArray();
            (approval["status"], approval["approvedBy"], approval["commandIds"]) = ("Approved", "account:olivia", new JsonArray(ids));
            return Results.Text(approval.ToJsonString(), "application/json");
        });
    }

    private string Queue(string siteId, string? deviceId, string? type, string reason)
    {
        var id = "cmd-" + Next();
        Commands[id] = new JsonObject
        {
            ["commandId"] = id,
            ["siteId"] = siteId,
            ["deviceId"] = deviceId,
            ["type"] = type,
            ["status"] = "queued",
            ["message"] = "",
            ["reason"] = reason,
        };
        return id;
    }
}
