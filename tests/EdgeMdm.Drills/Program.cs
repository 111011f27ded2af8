using EdgeMdm.Drills;

var (options, error) = DrillOptions.Parse(args, Environment.GetEnvironmentVariable("CI"));
if (options is null)
{
    await Console.Error.WriteLineAsync($"edgemdm-drills: {error}\n{DrillOptions.Usage}");
    return 2;
}

if (options.List)
{
    foreach (var drill in DrillCatalog.All)
        Console.WriteLine($"{drill.Name,-16} {drill.Title}");
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
return await DrillRun.RunAsync(options, Console.Out, stop.Token);
