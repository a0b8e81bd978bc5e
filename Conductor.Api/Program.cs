using Conductor.Api;
using Conductor.Api.Auth;

// `token create|list|revoke` manage API tokens and exit; no web host is built for them.
if (TokenCommands.Matches(args)) return await TokenCommands.RunAsync(args);

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
