using System.Security.Cryptography;
using System.Text;

namespace EdgeMdm.Cloud.Storage;

/// <summary>The ids and secrets the stores make.</summary>
internal static class HubIds
{
    /// <summary>256 random bits as lowercase hex: a site credential, an enrollment or API token.</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A site's or tenant's id from its name: "DC Leipzig #2" → "dc-leipzig-2".</summary>
    public static string FromName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var id = new StringBuilder();
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
                id.Append(c);
            else if (id.Length > 0 && id[^1] != '-')
                id.Append('-');
        }

        var result = id.ToString().Trim('-');
        return result.Length > 0 ? result : throw new ArgumentException($"'{name}' has no letters or digits to make an id of", nameof(name));
    }
}
