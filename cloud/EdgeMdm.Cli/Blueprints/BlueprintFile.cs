using EdgeMdm.GitOps;

namespace EdgeMdm.Cli.Blueprints;

/// <summary>The file given to <c>blueprints apply -f</c>, read by the shared <see cref="BlueprintYaml"/>.</summary>
public static class BlueprintFile
{
    public static BlueprintsFile Load(string path, Func<string, string?> environment)
    {
        try
        {
            return Parse(File.ReadAllText(path), path, environment);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"blueprints file {path}: {exception.Message}");
        }
    }

    /// <summary>The file's blueprints and staging plans; a plan's <c>{env: NAME}</c> secret is read with <paramref name="environment"/>.</summary>
    public static BlueprintsFile Parse(string yaml, string source, Func<string, string?> environment)
    {
        try
        {
            return BlueprintYaml.ParseFile(yaml, "blueprints file " + source, required: true, environment);
        }
        catch (BlueprintFileException exception)
        {
            throw new CliException(exception.Message);
        }
    }
}
