// edgemdm-cloud: serve (default; the host is assembled in Hosting/CloudHost.cs) | admin-token create.
return await CloudCli.RunAsync(args);
