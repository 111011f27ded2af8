using System.Reflection;
using NetArchTest.Rules;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The hub's folder rules (docs/architecture.md, "Hub map"), kept true as features come and go.</summary>
public sealed class HubShapeTests
{
    private static readonly Assembly Hub = typeof(HubStorage).Assembly;

    [Fact]
    public void Storage_plumbing_depends_on_no_feature()
    {
        // Arrange: every other folder of the hub is a namespace of its own
        var others = Hub.GetTypes()
            .Select(t => t.Namespace ?? "")
            .Where(n => n.StartsWith("EdgeMdm.Cloud.", StringComparison.Ordinal) && !n.StartsWith("EdgeMdm.Cloud.Storage", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

        // Act
        var result = Types.InAssembly(Hub).That().ResideInNamespace("EdgeMdm.Cloud.Storage").ShouldNot().HaveDependencyOnAny(others).GetResult();

        // Assert
        Assert.NotEmpty(others);
        Assert.True(result.IsSuccessful, "plumbing that reaches into a feature: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void No_class_implements_two_of_the_hubs_interfaces()
    {
        // Act: a class behind two of the hub's own interfaces is on its way to being the everything-store again
        var overloaded = Hub.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Select(t => (Type: t, Interfaces: t.GetInterfaces().Where(i => i.Namespace?.StartsWith("EdgeMdm.Cloud.", StringComparison.Ordinal) == true).ToList()))
            .Where(t => t.Interfaces.Count > 1)
            .Select(t => $"{t.Type.Name}: {string.Join(", ", t.Interfaces.Select(i => i.Name))}")
            .ToList();

        // Assert
        Assert.Empty(overloaded);
    }
}
