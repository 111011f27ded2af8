using EdgeMdm.Edge.Cli;

return await EdgeCli.RunAsync(args);
