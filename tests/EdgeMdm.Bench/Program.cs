using EdgeMdm.Bench;

// `edgemdm-bench noop-server --urls URL` is the no-op endpoint the bench starts as its own child process.
if (args is ["noop-server", .. var serverArgs])
    return await NoopServer.RunAsync(serverArgs);
// `edgemdm-bench probe ...` is a probe load in a process of its own (the download scenario's).
if (args is ["probe", .. var probeArgs])
    return await ProbeProcess.RunChildAsync(probeArgs);
// `edgemdm-bench download-clients ...` is the line-rate scenario's devices, run inside the link's network namespace.
if (args is ["download-clients", .. var clientArgs])
    return await DownloadClients.RunChildAsync(clientArgs);
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

var (options, error) = BenchOptions.Parse(args);
if (options is null)
{
    await Console.Error.WriteLineAsync($"edgemdm-bench: {error}\n{BenchOptions.Usage}");
    return 2;
}

// Devices are other machines: the load runs at the least CPU weight, the servers at the normal one (make bench).
Console.WriteLine($"load generator's CPU weight: {ProcessWeight.LoadWeight}; the servers it starts at the normal weight");
return await BenchRun.RunAsync(options);
