using System.Reflection;
using System.Runtime.CompilerServices;

namespace EdgeMdm.ArchTests;

/// <summary>No class grows back into an everything-object: a class with more than ~25 public members wants splitting.</summary>
public sealed class ClassSizeTests
{
    private const int MaxPublicMembers = 25;

    public static TheoryData<string> Assemblies() =>
        ["edgemdm-edge", "edgemdm-cloud", "edgemdm", "edgemdm-agent", "EdgeMdm.Domain", "EdgeMdm.Discovery", "EdgeMdm.GitOps", "EdgeMdm.ServiceDefaults"];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_class_has_more_than_about_25_public_members(string assemblyName)
    {
        // Arrange
        var assembly = Assembly.Load(new AssemblyName(assemblyName));

        // Act: what a class declares itself for callers (methods, properties, events, fields); a record's generated
        // members and compiler-made types do not count
        var large = assembly.GetTypes()
            .Where(t => t.IsClass && t.GetCustomAttribute<CompilerGeneratedAttribute>() is null && !t.Name.StartsWith('<'))
            // A source-generated JSON context lists one property per type it serializes.
            .Where(t => !typeof(System.Text.Json.Serialization.JsonSerializerContext).IsAssignableFrom(t))
            .Select(t => (Type: t, Count: PublicMembers(t)))
            .Where(t => t.Count > MaxPublicMembers)
            .Select(t => $"{t.Type.FullName} ({t.Count})")
            .ToList();

        // Assert
        Assert.Empty(large);
    }

    private static int PublicMembers(Type type)
    {
        var isRecord = type.GetMethod("<Clone>$") is not null;
        return type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not ConstructorInfo && m.GetCustomAttribute<CompilerGeneratedAttribute>() is null)
            .Where(m => m is not MethodInfo method || !method.IsSpecialName)
            .Count(m => !isRecord || m is not MethodInfo { Name: "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "PrintMembers" } && !m.Name.StartsWith('<'));
    }
}
