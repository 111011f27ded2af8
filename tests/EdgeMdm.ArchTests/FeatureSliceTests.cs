using System.Reflection;
using NetArchTest.Rules;

namespace EdgeMdm.ArchTests;

/// <summary>
/// The appliance and the hub are feature slices over a little plumbing (docs/architecture.md): the plumbing knows no
/// feature, and a feature knows another only through what that feature declares for it: its interfaces and records,
/// and the classes it made public. Its internal classes (its store, its rows, its endpoints and handlers) are its own.
/// </summary>
public sealed class FeatureSliceTests
{
    /// <summary>
    /// How each assembly is cut: its root namespace, the plumbing folders, and the folders that compose the features
    /// (they reference every feature on purpose). Every other folder is a feature.
    /// </summary>
    private static readonly Dictionary<string, (string Root, string[] Plumbing, string[] Composition)> Slices = new(StringComparer.Ordinal)
    {
        ["edgemdm-edge"] = ("EdgeMdm.Edge", ["Storage", "Threading", "Options", "Web", "Cli", "Telemetry"], ["Hosting"]),
        ["edgemdm-cloud"] = ("EdgeMdm.Cloud", ["Storage", "Options"], ["Hosting", "Api", "Cli"]),
    };

    public static TheoryData<string> Assemblies() => [.. Slices.Keys];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Plumbing_references_no_feature(string assemblyName)
    {
        // Arrange
        var (assembly, root, plumbing, _) = Load(assemblyName);
        var notPlumbing = Folders(assembly, root).Except(plumbing, StringComparer.Ordinal).Select(f => root + "." + f).ToArray();

        // Act
        var result = Types.InAssembly(assembly).That().ResideInNamespaceMatching(Under(root, plumbing))
            .ShouldNot().HaveDependencyOnAny(notPlumbing).GetResult();

        // Assert
        Assert.NotEmpty(notPlumbing);
        Assert.True(result.IsSuccessful, "plumbing that reaches into a feature: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void A_feature_references_another_only_through_what_that_feature_declares(string assemblyName)
    {
        // Arrange
        var (assembly, root, plumbing, composition) = Load(assemblyName);
        var features = Folders(assembly, root).Except(plumbing).Except(composition).ToList();
        var failures = new List<string>();

        foreach (var feature in features)
        {
            var internalsOfOthers = assembly.GetTypes()
                .Where(t => IsInternalClass(t) && FolderOf(t, root) is { } folder && features.Contains(folder) && !string.Equals(folder, feature, StringComparison.Ordinal))
                .Select(t => t.FullName!.Replace('+', '/'))
                .ToArray();
            if (internalsOfOthers.Length == 0)
                continue;

            // Act
            var result = Types.InAssembly(assembly).That().ResideInNamespaceMatching(Under(root, [feature]))
                .ShouldNot().HaveDependencyOnAny(internalsOfOthers).GetResult();
            if (!result.IsSuccessful)
                failures.Add($"{feature}: {string.Join(", ", result.FailingTypeNames ?? [])}");
        }

        // Assert
        Assert.True(features.Count >= 8, $"only {features.Count} features found in {assemblyName}: {string.Join(", ", features)}");
        Assert.True(failures.Count == 0, "features that reach into another's internals: " + string.Join("; ", failures));
    }

    [Fact]
    public void The_rule_sees_a_reach_into_another_feature_s_internals()
    {
        // Guards the guard: the hosting folder composes features from their internal registrations, so the same query
        // aimed at it must find dependencies on internal types.
        var (assembly, root, _, _) = Load("edgemdm-edge");
        var internals = assembly.GetTypes().Where(t => IsInternalClass(t) && FolderOf(t, root) is "Checkin" or "Devices").Select(t => t.FullName!).ToArray();

        var result = Types.InAssembly(assembly).That().ResideInNamespaceMatching(Under(root, ["Devices"]))
            .ShouldNot().HaveDependencyOnAny(internals).GetResult();

        Assert.NotEmpty(internals);
        Assert.False(result.IsSuccessful, "a feature's own internals are dependencies too: the rule would see them in another feature");
    }

    private static (Assembly Assembly, string Root, string[] Plumbing, string[] Composition) Load(string assemblyName)
    {
        var (root, plumbing, composition) = Slices[assemblyName];
        return (Assembly.Load(new AssemblyName(assemblyName)), root, plumbing, composition);
    }

    /// <summary>A class of a feature's own: not visible outside the assembly, and neither an interface nor a record (a message).</summary>
    private static bool IsInternalClass(Type type) =>
        type is { IsClass: true, IsVisible: false } && type.GetMethod("<Clone>$") is null && !type.Name.StartsWith('<');

    private static List<string> Folders(Assembly assembly, string root) =>
        assembly.GetTypes().Select(t => FolderOf(t, root)).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The first namespace level under the root: the folder a type lives in.</summary>
    private static string? FolderOf(Type type, string root) =>
        type.Namespace is { } ns && ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0] : null;

    private static string Under(string root, IEnumerable<string> folders) =>
        "^" + System.Text.RegularExpressions.Regex.Escape(root) + @"\.(" + string.Join("|", folders) + @")(\.|$)";
}
