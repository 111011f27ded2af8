using System.Globalization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Edge.Api;

/// <summary>Field checks on device requests; each error is keyed by the JSON path of the field it names.</summary>
internal sealed class RequestValidation
{
    private const int MaxText = 256;
    private const int MaxListItems = 1000;
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Valid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors;

    public static RequestValidation Of(EnrollRequest request)
    {
        var v = new RequestValidation();
        v.RequiredText("enrollmentToken", request.EnrollmentToken);
        v.RequiredText("serial", request.Serial);
        v.RequiredText("model", request.Model);
        v.RequiredText("manufacturer", request.Manufacturer);
        v.RequiredText("osVersion", request.OsVersion);
        v.RequiredText("agentVersion", request.AgentVersion);
        return v;
    }

    public static RequestValidation Of(CheckinRequest request)
    {
        var v = new RequestValidation();
        v.OptionalText("declarationsToken", request.DeclarationsToken);
        if (request.Status is { } status)
            v.Status(status);
        return v;
    }

    public static RequestValidation Of(CommandResultRequest request)
    {
        var v = new RequestValidation();
        if (request.Status is null)
            v.Add("status", "is required");
        else if (request.Status is not ("succeeded" or "failed"))
            v.Add("status", "must be \"succeeded\" or \"failed\"");
        if (request.Message is { Length: > 4096 })
            v.Add("message", "may be at most 4096 characters");
        return v;
    }

    private void Status(DeviceStatus status)
    {
        if (status.Apps is { } apps)
        {
            List(apps, "status.apps", (app, at) =>
            {
                RequiredText(at + ".packageName", app.PackageName);
                if (app.VersionCode is null)
                    Add(at + ".versionCode", "is required");
                else if (app.VersionCode < 0)
                    Add(at + ".versionCode", "cannot be negative");
                OptionalText(at + ".versionName", app.VersionName);
            });
        }

        if (status.Os is { } os)
            OptionalText("status.os.version", os.Version);
        if (status.Battery is { } battery)
        {
            Percent("status.battery.level", battery.Level);
            Percent("status.battery.healthPercent", battery.HealthPercent);
            if (battery.CycleCount < 0)
                Add("status.battery.cycleCount", "cannot be negative");
        }

        if (status.Storage is { } storage && (storage.FreeBytes < 0 || storage.TotalBytes < 0 || storage.FreeBytes > storage.TotalBytes))
            Add("status.storage", "freeBytes and totalBytes must be positive, free no more than total");
        if (status.Wifi is { } wifi)
            OptionalText("status.wifi.ssid", wifi.Ssid);
        if (status.Configurations is { } configurations)
        {
            List(configurations, "status.configurations", (c, at) =>
            {
                RequiredText(at + ".id", c.Id);
                OptionalText(at + ".appliedHash", c.AppliedHash);
            });
        }

        if (status.Certificates is { } certificates)
            List(certificates, "status.certificates", (c, at) => RequiredText(at + ".name", c.Name));
        if (status.Staging is { } staging && (staging.CompletedSteps < 0 || staging.TotalSteps < 0 || staging.CompletedSteps > staging.TotalSteps))
            Add("status.staging", "completedSteps and totalSteps must be positive, completed no more than total");
    }

    private void List<T>(IReadOnlyList<T> items, string at, Action<T, string> check)
    {
        if (items.Count > MaxListItems)
        {
            Add(at, $"may hold at most {MaxListItems} items");
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var itemAt = $"{at}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (items[i] is null)
                Add(itemAt, "cannot be null");
            else
                check(items[i], itemAt);
        }
    }

    private void Percent(string field, int? value)
    {
        if (value is < 0 or > 100)
            Add(field, "must be between 0 and 100");
    }

    private void RequiredText(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            Add(field, "is required");
        else
            OptionalText(field, value);
    }

    private void OptionalText(string field, string? value)
    {
        if (value is { Length: > MaxText })
            Add(field, $"may be at most {MaxText} characters");
    }

    private void Add(string field, string message) => _errors[field] = [message];
}
