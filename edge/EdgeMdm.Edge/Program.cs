using EdgeMdm.Edge.Hosting;

return await EdgeCli.RunAsync(args);
