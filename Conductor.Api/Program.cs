using Conductor.Api;
using Conductor.Api.Auth;

// `token create|list|revoke` manage API tokens and exit; no web host is built for them.
if (TokenCommands.Matches(args)) return await TokenCommands.RunAsync(args);

// No reloading of configuration files on change: that watches the content root (the working
// directory) recursively, and with the worker's data directory or PostgreSQL's under it (as
// scripts/run.sh lays them out) every job's files and every database write would wake the API.
// Configuration comes from the environment; restart to change it. An operator's own setting wins.
const string reloadOnChange = "DOTNET_hostBuilder__reloadConfigOnChange";
if (Environment.GetEnvironmentVariable(reloadOnChange) is null) Environment.SetEnvironmentVariable(reloadOnChange, "false");

var builder = WebApplication.CreateBuilder(args);
builder.AddConductorApi();

var app = builder.Build();
await app.MigrateConductorAsync();
if (!await app.CheckAuthenticationAsync()) return 1;
app.MapConductorApi();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
