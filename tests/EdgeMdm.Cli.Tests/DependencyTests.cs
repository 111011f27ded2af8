using System.Reflection;

namespace EdgeMdm.Cli.Tests;

public sealed class DependencyTests
{
    [Fact]
    public void The_cli_references_neither_the_edge_nor_the_hub()
    {
        // Act
        var references = typeof(AdminCli).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        // Assert
        Assert.DoesNotContain(references, name => name is "edgemdm-edge" or "edgemdm-agent" or "edgemdm-cloud");
        Assert.Contains("EdgeMdm.Domain", references);
    }

    [Fact]
    public void The_cli_assembly_is_named_edgemdm()
    {
        // Assert
        Assert.Equal("edgemdm", typeof(AdminCli).Assembly.GetName().Name);
        Assert.NotNull(Assembly.Load(new AssemblyName("edgemdm")).EntryPoint);
    }
}
