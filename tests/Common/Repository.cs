namespace EdgeMdm.Testing;

/// <summary>The checkout the tests and benches run from.</summary>
internal static class Repository
{
    /// <summary>The first folder above the build output that holds <c>EdgeMdm.sln</c>.</summary>
    public static string Root => FindRoot() ?? throw new InvalidOperationException("EdgeMdm.sln not found above " + AppContext.BaseDirectory);

    /// <summary>As <see cref="Root"/>, or null when the build output is not inside a checkout.</summary>
    public static string? FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EdgeMdm.sln")))
            directory = directory.Parent;
        return directory?.FullName;
    }
}
