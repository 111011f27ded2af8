using EdgeMdm.Bench;

// `edgemdm-bench noop-server --urls URL` is the no-op endpoint the bench starts as its own child process.
if (args is ["noop-server", .. var serverArgs])
    return await NoopServer.RunAsync(serverArgs);
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

return await BenchRun.RunAsync(options);
