namespace EdgeMdm.Browser;

/// <summary>
/// Site users as central IT manages them: made, changed and removed at the hub's REST API; the appliance gets them with
/// its sync feed, which <see cref="WaitUntilAsync"/> waits for through the appliance's own <c>users list --json</c>.
/// </summary>
internal static class HubSiteUsers
{
    /// <summary>Creates the user, or gives an existing one this role and password.</summary>
    public static async Task SaveAsync(HubProcess hub, string siteId, string userName, string role, string password)
    {
        ArgumentNullException.ThrowIfNull(hub);
        using var saved = await hub.Rest.PostAsJsonAsync(
            new Uri($"/api/v1/sites/{siteId}/users", UriKind.Relative), new JsonObject { ["userName"] = userName, ["role"] = role, ["password"] = password });
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
    }

    public static async Task RemoveAsync(HubProcess hub, string siteId, string userName)
    {
        ArgumentNullException.ThrowIfNull(hub);
        using var removed = await hub.Rest.DeleteAsync(new Uri($"/api/v1/sites/{siteId}/users/{Uri.EscapeDataString(userName)}", UriKind.Relative));
        Assert.True(removed.IsSuccessStatusCode, await removed.Content.ReadAsStringAsync());
    }

    /// <summary>Waits (60 s at most) until the appliance's site users, as name → role, satisfy <paramref name="condition"/>.</summary>
    public static async Task WaitUntilAsync(string edgeDirectory, Func<IReadOnlyDictionary<string, string>, bool> condition, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await Processes.RunAsync(Processes.EdgeDll, ["users", "list", "--json", "--data-dir", edgeDirectory], TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var users = JsonDocument.Parse(result.Stdout);
            var roles = users.RootElement.EnumerateArray().ToDictionary(u => u.GetProperty("userName").GetString()!, u => u.GetProperty("role").GetString()!, StringComparer.Ordinal);
            if (condition(roles))
                return;
            Assert.True(DateTime.UtcNow < deadline, $"not yet after 60 s ({what}): the appliance has {string.Join(", ", roles.Select(r => r.Key + " " + r.Value))}");
            await Task.Delay(500);
        }
    }
}
