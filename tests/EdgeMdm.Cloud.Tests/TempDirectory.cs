namespace EdgeMdm.Cloud.Tests;

/// <summary>A new directory under the system's temp directory, deleted with all it holds on dispose.</summary>
internal sealed class TempDirectory(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
