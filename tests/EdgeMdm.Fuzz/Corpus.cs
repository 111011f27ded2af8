namespace EdgeMdm.Fuzz;

/// <summary>
/// Inputs that once broke a parser, checked in under <c>corpus/TARGET/</c> and replayed on every run. A file ending in
/// <c>.b64</c> holds base64 (as a failing fuzz run prints the input: <see cref="Fuzzing.Print"/>); any other file is the
/// input's bytes as they are (text targets: YAML, JSON).
/// </summary>
public static class Corpus
{
    public static IEnumerable<(string Name, byte[] Bytes)> Entries(string target)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "corpus", target);
        if (!Directory.Exists(folder))
            yield break;
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = $"{target}/{Path.GetFileName(file)}";
            yield return file.EndsWith(".b64", StringComparison.Ordinal)
                ? (name, Convert.FromBase64String(File.ReadAllText(file).Trim()))
                : (name, File.ReadAllBytes(file));
        }
    }
}
