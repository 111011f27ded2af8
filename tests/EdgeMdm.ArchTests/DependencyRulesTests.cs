using System.Reflection;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Domain.Drift;
using EdgeMdm.GitOps;
using NetArchTest.Rules;

namespace EdgeMdm.ArchTests;

/// <summary>
/// References point one way: host → adapters → domain. The shared core stays free of I/O stacks, the agent
/// speaks only the wire contract, and nothing at the edge knows the cloud.
/// </summary>
public sealed class DependencyRulesTests
{
    // The executables are loaded by assembly name: both have a top-level Program, so typeof(Program) would be
    // ambiguous, and a name does not break when their types are renamed.
    private static readonly Assembly ContractsAssembly = typeof(DeviceStatus).Assembly;
    private static readonly Assembly DomainAssembly = typeof(DriftEvaluator).Assembly;
    private static readonly Assembly DiscoveryAssembly = typeof(DnsMessageReader).Assembly;
    private static readonly Assembly GitOpsAssembly = typeof(BlueprintYaml).Assembly;
    private static readonly Assembly EdgeAssembly = Assembly.Load(new AssemblyName("edgemdm-edge"));
    private static readonly Assembly AgentAssembly = Assembly.Load(new AssemblyName("edgemdm-agent"));

    /// <summary>Infrastructure the pure core must never touch (namespace prefixes).</summary>
    private static readonly string[] Infrastructure =
    [
        "SQLite",
        "SQLitePCL",
        "Microsoft.AspNetCore",
        "MQTTnet",
        "Grpc",
        "System.Device.Gpio",
        "System.Net.Http",
        "YamlDotNet",
    ];

    public static TheoryData<string> SharedAssemblies() => ["Contracts", "Domain", "Discovery", "GitOps"];

    /// <summary>What "I/O" means for the pure core: files, sockets, processes, the console, the clock of the machine.</summary>
    private static readonly string[] InputOutput =
    [
        "System.IO.File",
        "System.IO.FileInfo",
        "System.IO.FileStream",
        "System.IO.Directory",
        "System.IO.DirectoryInfo",
        "System.IO.DriveInfo",
        "System.Net",
        "System.Diagnostics.Process",
        "System.Console",
        "System.Threading.Thread",
    ];

    public static TheoryData<string> EdgeAssemblies() => ["Edge", "Agent"];

    private static Assembly Named(string name) => name switch
    {
        "Contracts" => ContractsAssembly,
        "Domain" => DomainAssembly,
        "Discovery" => DiscoveryAssembly,
        "GitOps" => GitOpsAssembly,
        "Edge" => EdgeAssembly,
        "Agent" => AgentAssembly,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown assembly"),
    };

    [Theory]
    [InlineData("Domain")]
    [InlineData("Discovery")]
    public void Shared_core_does_not_depend_on_infrastructure(string assembly)
    {
        // Act
        var result = Types.InAssembly(Named(assembly)).Should().NotHaveDependencyOnAny(Infrastructure).GetResult();

        // Assert
        AssertSuccessful(result);
    }

    [Theory]
    [InlineData("Domain")]
    [InlineData("GitOps")]
    public void Domain_and_gitops_decide_without_io(string assembly)
    {
        // Pure: they take text and values and return values; reading the file, the clock or the network is the caller's.

        // Act
        var result = Types.InAssembly(Named(assembly)).Should().NotHaveDependencyOnAny(InputOutput).GetResult();

        // Assert
        AssertSuccessful(result);
    }

    [Fact]
    public void GitOps_parses_with_yamldotnet_and_touches_no_other_infrastructure()
    {
        // Central IT's YAML (blueprints, rollouts) is read by the admin CLI and the appliance's seed alike.
        var others = Infrastructure.Where(prefix => !string.Equals(prefix, "YamlDotNet", StringComparison.Ordinal)).ToArray();

        // Act
        var result = Types.InAssembly(GitOpsAssembly).Should().NotHaveDependencyOnAny(others).GetResult();
        var foreign = NonFrameworkReferences(GitOpsAssembly);

        // Assert
        AssertSuccessful(result);
        Assert.Equal(["EdgeMdm.Domain", "YamlDotNet"], foreign);
    }

    [Fact]
    public void Contracts_know_grpc_only_as_the_generated_sync_contract()
    {
        // sync.proto is compiled once, here, with its client and server base; nothing else in the contracts may
        // touch gRPC, and no transport (Grpc.Net.Client, ASP.NET Core) at all.
        var transports = Infrastructure.Where(prefix => !string.Equals(prefix, "Grpc", StringComparison.Ordinal)).ToArray();

        // Act
        var noTransport = Types.InAssembly(ContractsAssembly).Should().NotHaveDependencyOnAny(transports).GetResult();
        var grpcOutsideSync = Types.InAssembly(ContractsAssembly).That().DoNotResideInNamespace("EdgeMdm.Contracts.Sync")
            .Should().NotHaveDependencyOn("Grpc").GetResult();

        // Assert
        AssertSuccessful(noTransport);
        AssertSuccessful(grpcOutsideSync);
    }

    [Theory]
    [MemberData(nameof(SharedAssemblies))]
    public void Shared_core_does_not_depend_on_edge_or_cloud(string assembly)
    {
        // Act
        var result = Types.InAssembly(Named(assembly)).Should()
            .NotHaveDependencyOnAny("EdgeMdm.Edge", "EdgeMdm.Agent", "EdgeMdm.Cloud", "EdgeMdm.Cli")
            .GetResult();

        // Assert
        AssertSuccessful(result);
    }

    [Fact]
    public void Discovery_decides_without_sockets()
    {
        // The DNS codec and the responder's decisions are pure; the appliance and the agent own the sockets.

        // Act
        var result = Types.InAssembly(DiscoveryAssembly).Should()
            .NotHaveDependencyOnAny("System.Net.Sockets.Socket", "System.Net.Sockets.UdpClient", "System.Net.NetworkInformation", "System.IO.File")
            .GetResult();

        // Assert
        AssertSuccessful(result);
    }

    [Fact]
    public void Agent_does_not_depend_on_the_appliance()
    {
        // The agent speaks only the wire contract; what the appliance does with it is none of its business.

        // Act
        var types = Types.InAssembly(AgentAssembly).Should().NotHaveDependencyOn("EdgeMdm.Edge").GetResult();
        var references = AgentAssembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        // Assert
        AssertSuccessful(types);
        Assert.DoesNotContain(EdgeAssembly.GetName().Name, references);
    }

    [Theory]
    [MemberData(nameof(EdgeAssemblies))]
    public void Edge_does_not_depend_on_the_cloud(string assembly)
    {
        // Arrange
        var under = Named(assembly);

        // Act
        var types = Types.InAssembly(under).Should().NotHaveDependencyOn("EdgeMdm.Cloud").GetResult();
        var cloudReferences = under.GetReferencedAssemblies()
            .Select(a => a.Name ?? "")
            .Where(n => n.StartsWith("EdgeMdm.Cloud", StringComparison.OrdinalIgnoreCase)
                || n.StartsWith("edgemdm-cloud", StringComparison.OrdinalIgnoreCase))
            .ToList();

        // Assert
        AssertSuccessful(types);
        Assert.Empty(cloudReferences);
    }

    [Theory]
    [InlineData("edgemdm-cloud", "EdgeMdm.Edge")]
    [InlineData("edgemdm-cloud", "EdgeMdm.Agent")]
    [InlineData("edgemdm", "EdgeMdm.Cloud")]
    [InlineData("edgemdm", "EdgeMdm.Edge")]
    public void The_hub_never_reaches_into_a_site_and_the_admin_cli_speaks_only_rest(string assemblyName, string forbidden)
    {
        // Arrange: the hub knows sites only through sync.proto; the CLI knows the hub only through its REST API.
        var under = Assembly.Load(new AssemblyName(assemblyName));

        // Act
        var types = Types.InAssembly(under).Should().NotHaveDependencyOn(forbidden).GetResult();
        var references = under.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();

        // Assert
        AssertSuccessful(types);
        Assert.DoesNotContain(references, n => n.StartsWith(forbidden, StringComparison.OrdinalIgnoreCase)
            || n.Equals("edgemdm-" + forbidden["EdgeMdm.".Length..], StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Domain_references_only_the_base_class_library_and_the_contracts()
    {
        // Act
        var foreign = NonFrameworkReferences(DomainAssembly);

        // Assert
        Assert.Equal([ContractsAssembly.GetName().Name], foreign);
    }

    [Fact]
    public void Discovery_references_only_the_base_class_library()
    {
        // Act
        var foreign = NonFrameworkReferences(DiscoveryAssembly);

        // Assert
        Assert.Empty(foreign);
    }

    [Fact]
    public void Contracts_reference_only_the_base_class_library_protobuf_and_the_grpc_api()
    {
        // Act
        var foreign = NonFrameworkReferences(ContractsAssembly);

        // Assert
        Assert.Equal(["Google.Protobuf", "Grpc.Core.Api"], foreign);
    }

    [Fact]
    public void Rules_see_dependencies_that_exist()
    {
        // Guards the guards: a rule engine that saw no dependencies at all would pass every test above.

        // Act
        var result = Types.InAssembly(DomainAssembly).Should().NotHaveDependencyOnAny("System.Security.Cryptography", "EdgeMdm.Contracts").GetResult();

        // Assert
        Assert.False(result.IsSuccessful);
        Assert.Contains("EdgeMdm.Domain.Blueprints.CanonicalHash", result.FailingTypeNames);
    }

    /// <summary>
    /// Referenced assemblies that are not part of the shared runtime (Microsoft.NETCore.App). A name check
    /// ("System.*") would let NuGet packages such as System.Device.Gpio or System.CommandLine through, so the
    /// test asks the runtime directory instead. ASP.NET Core lives in a separate shared framework and so counts
    /// as foreign too.
    /// </summary>
    private static List<string?> NonFrameworkReferences(Assembly assembly)
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return assembly.GetReferencedAssemblies()
            .Where(a => !File.Exists(Path.Combine(runtimeDirectory, a.Name + ".dll")))
            .Select(a => a.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static void AssertSuccessful(TestResult result) =>
        Assert.True(
            result.IsSuccessful,
            "types breaking the rule: " + string.Join(", ", result.FailingTypeNames ?? []));
}
