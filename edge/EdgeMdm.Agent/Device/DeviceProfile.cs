namespace EdgeMdm.Agent;

/// <summary>What a device is, as opposed to what state it is in: fixed for its life in the simulation.</summary>
internal sealed record DeviceProfile(
    string Manufacturer,
    string Model,
    bool VehicleMount,
    string OsVersion,
    DateOnly SecurityPatch,
    long TotalBytes)
{
    private const long GiB = 1024L * 1024 * 1024;

    // Rugged Android fleets as found in distribution centres. TotalBytes is the user-data partition, which
    // is what Android reports as total storage (a "32 GB" device shows about 25 GiB).
    private static readonly (string Manufacturer, string Model, bool VehicleMount, long TotalBytes, int Weight)[] Catalog =
    [
        ("Zebra Technologies", "TC52", false, 25 * GiB, 4),
        ("Zebra Technologies", "TC57", false, 25 * GiB, 2),
        ("Zebra Technologies", "TC58", false, 110 * GiB, 4),
        ("Honeywell", "CT40", false, 25 * GiB, 3),
        ("Honeywell", "CT60", false, 25 * GiB, 2),
        ("Honeywell", "CK65", false, 25 * GiB, 2),
        ("Zebra Technologies", "VC8300", true, 25 * GiB, 1),
    ];

    public static DeviceProfile Generate(Random random)
    {
        var pick = random.Next(Catalog.Sum(m => m.Weight));
        var model = Catalog[^1];
        foreach (var candidate in Catalog)
        {
            if (pick < candidate.Weight)
            {
                model = candidate;
                break;
            }

            pick -= candidate.Weight;
        }

        // Mostly Android 14, some 13, a few 11 left on the floor; patch levels are the first of a month.
        var os = random.NextDouble() switch
        {
            < 0.70 => ("14", new DateOnly(2025, 1, 1).AddMonths(random.Next(9))),
            < 0.92 => ("13", new DateOnly(2024, 1, 1).AddMonths(random.Next(12))),
            _ => ("11", new DateOnly(2022, 6, 1).AddMonths(random.Next(12))),
        };
        return new DeviceProfile(model.Manufacturer, model.Model, model.VehicleMount, os.Item1, os.Item2, model.TotalBytes);
    }
}
