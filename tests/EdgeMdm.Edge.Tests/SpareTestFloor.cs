using System.Text;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Spares;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Edge.Tests;

/// <summary>Devices on the floor for the spares and swap tests: enrolled, staged and compliant, at a given charge.</summary>
internal static class SpareTestFloor
{
    public const string Model = "TC52";

    /// <summary>An Active, compliant device reporting <paramref name="battery"/> % (null: no battery reading).</summary>
    public static async Task<EnrollResponse> ActiveAsync(EdgeServer server, string serial, int? battery = 95)
    {
        var device = await server.EnrollAsync(serial);
        await CheckInAsync(server, device.DeviceSecret, battery);
        return device;
    }

    /// <summary>A compliant check-in at <paramref name="battery"/> %.</summary>
    public static async Task CheckInAsync(EdgeServer server, string secret, int? battery)
    {
        var declarations = await server.DeclarationsAsync(secret);
        var status = CheckinTests.CompliantStatus(declarations);
        status = status with { Battery = status.Battery! with { Level = battery } };
        await server.CheckinOkAsync(secret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = status });
    }

    public static DateTimeOffset Now(EdgeServer server) => server.Clock.GetUtcNow();

    public static async Task PoolAsync(EdgeServer server, int minimum, params string[] members)
    {
        Assert.NotNull((await server.Get<ISpareAdmin>().SetPoolAsync(Model, minimum, "test", Now(server))).Value);
        foreach (var member in members)
            Assert.NotNull((await server.Get<ISpareAdmin>().AddAsync(member, null, "test", Now(server))).Value);
    }

    public static async Task AssignAsync(EdgeServer server, string device, string? to) =>
        Assert.NotNull((await server.Get<IDeviceAdmin>().AssignAsync(device, to, "test", Now(server))).Value);

    public static IReadOnlyList<AlertRecord> OpenAlerts(EdgeServer server) => server.Get<IAlerts>().Open();

    /// <summary>
    /// Everything a swap touches, as text: devices (group, assignment, state), their histories, the outbox, custody,
    /// commands, swaps and alerts. Two equal snapshots: nothing changed.
    /// </summary>
    public static string Snapshot(EdgeServer server) => Snapshot(server.Get<EdgeStorage>());

    public static string Snapshot(EdgeStorage storage) => storage.Read(db =>
    {
        var text = new StringBuilder();
        foreach (var d in db.Query<DeviceLine>("SELECT id AS Id, group_name AS GroupName, assignment AS Assignment, state AS State FROM devices ORDER BY id"))
            text.AppendLine($"device {d.Id} {d.GroupName} [{d.Assignment}] {d.State}");
        text.AppendLine("transitions " + db.ExecuteScalar<long>("SELECT count(*) FROM device_transitions"));
        text.AppendLine("outbox " + string.Join(",", db.QueryScalars<string>("SELECT sequence || ':' || kind FROM outbox ORDER BY sequence")));
        text.AppendLine("custody " + string.Join(",", db.QueryScalars<string>("SELECT subject || '#' || idx || ':' || hash FROM custody_events ORDER BY subject, idx")));
        text.AppendLine("commands " + string.Join(",", db.QueryScalars<string>("SELECT device_id || ':' || type || ':' || status FROM commands ORDER BY created_at, id")));
        text.AppendLine("swaps " + string.Join(",", db.QueryScalars<string>("SELECT id || ':' || state || ':' || coalesce(spare_id, '-') FROM swaps ORDER BY id")));
        text.AppendLine("alerts " + string.Join(",", db.QueryScalars<string>("SELECT kind || ':' || subject || ':' || coalesce(cleared_at, 'open') FROM alerts ORDER BY id")));
        return text.ToString();
    });

    /// <summary>The outbox's changes in order, parsed.</summary>
    public static IReadOnlyList<SiteChange> Outbox(EdgeServer server) => server.Get<EdgeStorage>().Read(db =>
        db.QueryScalars<byte[]>("SELECT payload FROM outbox ORDER BY sequence").Select(p => SiteChange.Parser.ParseFrom(p)).ToList());

    /// <summary>Replaces the registration of <typeparamref name="T"/> with <paramref name="wrap"/> around it (a decorator).</summary>
    public static void Decorate<T>(IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var registered = services.Last(s => s.ServiceType == typeof(T));
        services.Remove(registered);
        services.AddSingleton(sp => wrap((T)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!))));
    }

    private sealed class DeviceLine
    {
        public string Id { get; set; } = "";
        public string GroupName { get; set; } = "";
        public string? Assignment { get; set; }
        public string State { get; set; } = "";
    }
}
