using EdgeMdm.Domain.Blueprints;
using EdgeMdm.GitOps;

namespace EdgeMdm.Cli.Blueprints;

/// <summary>The file given to <c>blueprints apply -f</c>, read by the shared <see cref="BlueprintYaml"/>.</summary>
public static class BlueprintFile
{
    public static IReadOnlyList<Blueprint> Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"blueprints file {path}: {exception.Message}");
        }
    }

    public static IReadOnlyList<Blueprint> Parse(string yaml, string source)
    {
        try
        {
            return BlueprintYaml.Parse(yaml, "blueprints file " + source, required: true);
        }
        catch (BlueprintFileException exception)
        {
            throw new CliException(exception.Message);
        }
    }
}
