using EdgeMdm.Cloud.Storage;

// The hub's host. For now: open (and migrate) the store named by Cloud:Database (a SQLite path or directory,
// or an Npgsql connection string) and serve a liveness probe; the gRPC sync service and the REST API come
// next (issue 3).
var builder = WebApplication.CreateBuilder(args);
await using var store = await HubStore.OpenAsync(builder.Configuration["Cloud:Database"] ?? "data/cloud/", TimeProvider.System);
builder.Services.AddSingleton<IHubStore>(store);
var app = builder.Build();
app.MapGet("/healthz", () => "ok");
await app.RunAsync();
