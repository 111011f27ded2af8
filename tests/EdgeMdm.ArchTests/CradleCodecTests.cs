using EdgeMdm.Contracts.Cradles;
using EdgeMdm.Contracts.Device;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace EdgeMdm.ArchTests;

/// <summary>
/// The cradle telemetry codec is shared with cradle firmware on .NET nanoFramework, which has a small base library
/// and no generics in the APIs the codec could use. This reads the compiled codec (every field, signature, local,
/// called member and created type, nested types included) and refuses any framework type outside a short list, and
/// any generic instantiation at all.
/// </summary>
public sealed class CradleCodecTests
{
    /// <summary>The only framework types the codec may touch: all exist in nanoFramework's mscorlib.</summary>
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "System.Object",
        "System.String",
        "System.Int32",
        "System.Boolean",
        "System.Char",
        "System.Byte",
        "System.Void",
        "System.Text.StringBuilder",
        "System.Text.Encoding",
        "System.Math",
        // Compiler-emitted markers with no runtime behaviour (nanoFramework's compiler emits them too).
        "System.Runtime.CompilerServices.CompilerGeneratedAttribute",
        "System.Runtime.CompilerServices.NullableAttribute",
        "System.Runtime.CompilerServices.NullableContextAttribute",
        "System.Diagnostics.DebuggerBrowsableAttribute",
    };

    private static readonly ModuleDefinition Contracts = ModuleDefinition.ReadModule(typeof(CradleTelemetryCodec).Assembly.Location);

    [Theory]
    [InlineData(typeof(CradleTelemetryCodec))]
    [InlineData(typeof(SlotTelemetry))]
    [InlineData(typeof(SlotContents))]
    public void Codec_types_touch_only_the_nanoFramework_subset(Type type)
    {
        var violations = Violations(Definition(type));

        Assert.True(violations.Count == 0, "outside the nanoFramework subset: " + string.Join(", ", violations));
    }

    [Fact]
    public void Every_type_in_the_codec_namespace_is_checked()
    {
        var checkedTypes = new[] { nameof(CradleTelemetryCodec), nameof(SlotTelemetry), nameof(SlotContents) };
        var inNamespace = Contracts.Types.Where(t => string.Equals(t.Namespace, "EdgeMdm.Contracts.Cradles", StringComparison.Ordinal)).Select(t => t.Name);

        Assert.Equal(checkedTypes.Order(StringComparer.Ordinal), inNamespace.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_check_flags_generics_and_framework_types_outside_the_list()
    {
        // DeviceStatus holds IReadOnlyList<T> and DateOnly?: exactly what the firmware could not compile.
        var violations = Violations(Definition(typeof(DeviceStatus)));

        Assert.Contains(violations, v => v.Contains("IReadOnlyList", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("generic", StringComparison.Ordinal));
    }

    private static TypeDefinition Definition(Type type) =>
        Contracts.GetType(type.FullName!.Replace('+', '/')) ?? throw new InvalidOperationException($"{type} not found");

    private static List<string> Violations(TypeDefinition type)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var nested in type.NestedTypes)
            found.UnionWith(Violations(nested));
        Check(type.BaseType, found);
        foreach (var field in type.Fields)
            Check(field.FieldType, found);
        foreach (var property in type.Properties)
            Check(property.PropertyType, found);
        foreach (var method in type.Methods)
            CheckMethod(method, found);
        return [.. found];
    }

    private static void CheckMethod(MethodDefinition method, SortedSet<string> found)
    {
        Check(method.ReturnType, found);
        foreach (var parameter in method.Parameters)
            Check(parameter.ParameterType, found);
        if (method.HasGenericParameters)
            found.Add("generic method " + method.Name);
        if (!method.HasBody)
            return;
        foreach (var local in method.Body.Variables)
            Check(local.VariableType, found);
        foreach (var instruction in method.Body.Instructions)
        {
            switch (instruction.Operand)
            {
                case MethodReference called:
                    if (called is GenericInstanceMethod)
                        found.Add("generic method " + called.FullName);
                    Check(called.DeclaringType, found);
                    Check(called.ReturnType, found);
                    foreach (var parameter in called.Parameters)
                        Check(parameter.ParameterType, found);
                    break;
                case FieldReference field:
                    Check(field.DeclaringType, found);
                    Check(field.FieldType, found);
                    break;
                case TypeReference created:
                    Check(created, found);
                    break;
            }
        }

        foreach (var handler in method.Body.ExceptionHandlers.Where(h => h.CatchType is not null))
            Check(handler.CatchType, found);
    }

    private static void Check(TypeReference? type, SortedSet<string> found)
    {
        switch (type)
        {
            case null:
                return;
            case GenericInstanceType generic:
                found.Add("generic " + generic.FullName);
                return;
            case GenericParameter parameter:
                found.Add("generic parameter " + parameter.Name);
                return;
            case TypeSpecification specification:
                // Arrays, by-ref (out) parameters, pointers: what counts is the element.
                Check(specification.ElementType, found);
                return;
        }

        // The codec's own types (and the compiler's embedded attributes) live in this module.
        if (type.Scope is ModuleDefinition || string.Equals(type.Scope.Name, Contracts.Name, StringComparison.Ordinal) || type is TypeDefinition)
            return;
        if (type.IsNested)
        {
            Check(type.DeclaringType, found);
            return;
        }

        if (!Allowed.Contains(type.FullName))
            found.Add(type.FullName);
    }
}
