using System.CommandLine;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cli;

/// <summary>
/// One run of an operator command: the parsed line, and the appliance's services over its data directory, built from
/// the same configuration as <c>serve</c> (appsettings.json, <c>EDGEMDM_</c> variables, then the command line) but
/// with nothing started: no listener, no worker.
/// </summary>
public sealed class OperatorContext : IAsyncDisposable
{
    private readonly Action<IServiceCollection, IConfiguration> _addServices;
    private readonly string? _dataDir;
    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);
    private ServiceProvider? _services;
    private bool _createWhenMissing;

    internal OperatorContext(ParseResult result, Action<IServiceCollection, IConfiguration> addServices, string? dataDir, bool json)
    {
        Result = result;
        _addServices = addServices;
        _dataDir = dataDir;
        Json = json;
    }

    public ParseResult Result { get; }

    /// <summary>Whether <c>--json</c> was given.</summary>
    public bool Json { get; }

    /// <summary>The data directory this command works on, as a full path.</summary>
    public string DataDirectory => Path.GetFullPath(Get<IOptions<EdgeOptions>>().Value.DataDir);

    /// <summary>A setting this command's line overrides (before the first <see cref="Get{T}"/>).</summary>
    public void Set(string key, string value)
    {
        if (_services is not null)
            throw new InvalidOperationException("settings are read when the data directory is opened");
        _settings[key] = value;
    }

    /// <summary>
    /// Lets the first <see cref="Get{T}"/> make the data directory and an empty database when there is none (only
    /// <c>init</c> does: every other command refuses a directory no appliance has used, which is usually a mistyped path).
    /// </summary>
    public void CreateWhenMissing()
    {
        if (_services is not null)
            throw new InvalidOperationException("the data directory is already open");
        _createWhenMissing = true;
    }

    /// <summary>A service of the appliance; the first call opens the data directory, which must hold a database already.</summary>
    public T Get<T>()
        where T : notnull => (_services ??= Open()).GetRequiredService<T>();

    /// <summary>Prints <paramref name="value"/> as JSON with <c>--json</c>, otherwise the human form.</summary>
    public int Print<T>(T value, Action human)
    {
        ArgumentNullException.ThrowIfNull(human);
        if (Json)
            Console.WriteLine(OperatorCommands.Serialize(value));
        else
            human();
        return 0;
    }

    private ServiceProvider Open()
    {
        if (_dataDir is not null)
            _settings[EdgeOptions.Section + ":" + nameof(EdgeOptions.DataDir)] = _dataDir;
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(EdgeOptions.EnvironmentPrefix)
            .AddInMemoryCollection(_settings)
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        // Data Protection tells applications sharing a key ring apart by the host's content root: without the one serve
        // has (EdgeHost: the install directory), a command could not read what serve protected (blueprints).
        services.AddSingleton<IHostEnvironment>(new HostingEnvironment
        {
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(OperatorContext).Assembly.GetName().Name ?? "",
            EnvironmentName = Environments.Production,
        });
        _addServices(services, configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false });
        try
        {
            var dataDir = Path.GetFullPath(provider.GetRequiredService<IOptions<EdgeOptions>>().Value.DataDir);
            if (_createWhenMissing && !File.Exists(EdgeDatabase.PathIn(dataDir)))
            {
                OwnerOnlyFiles.CreateDirectory(dataDir);
                EdgeDatabase.Open(dataDir).Dispose();
            }

            if (!File.Exists(EdgeDatabase.PathIn(dataDir)))
                throw new CliException($"no appliance database in {dataDir} (run '{OperatorCommands.Program} serve --data-dir {_dataDir ?? dataDir}' first, or pass --data-dir)");
        }
        catch (Exception exception) when (exception is CliException or OptionsValidationException)
        {
            provider.Dispose();
            throw;
        }

        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
            await _services.DisposeAsync();
    }
}
