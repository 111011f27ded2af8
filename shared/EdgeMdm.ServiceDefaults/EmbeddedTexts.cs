using System.Reflection;

namespace EdgeMdm.ServiceDefaults;

/// <summary>Text files a server carries in its assembly (its SQL migrations).</summary>
public static class EmbeddedTexts
{
    /// <summary>
    /// Every resource named <c>{prefix}{name}{extension}</c>, as its <c>name</c> and text; missing ones are a build
    /// error, not a runtime case.
    /// </summary>
    public static IEnumerable<(string Name, string Text)> Under(Assembly assembly, string prefix, string extension)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var resourceName in assembly.GetManifestResourceNames())
        {
            if (!resourceName.StartsWith(prefix, StringComparison.Ordinal) || !resourceName.EndsWith(extension, StringComparison.Ordinal))
                continue;
            using var stream = assembly.GetManifestResourceStream(resourceName)
                ?? throw new InvalidOperationException("missing resource " + resourceName);
            using var reader = new StreamReader(stream);
            yield return (resourceName[prefix.Length..^extension.Length], reader.ReadToEnd());
        }
    }
}
