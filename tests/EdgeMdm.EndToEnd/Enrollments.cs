namespace EdgeMdm.EndToEnd;

/// <summary>A device enrolling at an appliance that syncs with a hub.</summary>
internal static class Enrollments
{
    /// <summary>
    /// Enrolls with a token the hub issued, retrying for up to a minute: the token reaches the site with its feed, and
    /// until then the site refuses it.
    /// </summary>
    public static async Task<EnrollResponse> WhenAcceptedAsync(HttpClient appliance, string token, string serial)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        var request = new EnrollRequest { EnrollmentToken = token, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1.0.0" };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await appliance.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest);
            if (response.StatusCode == HttpStatusCode.Created)
                return (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!;
            Assert.True(DateTime.UtcNow < deadline, "enrollment still refused: " + await response.Content.ReadAsStringAsync());
            await Task.Delay(250);
        }
    }
}
