using Conductor.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddConductorApi();

var app = builder.Build();
await app.MigrateConductorAsync();
app.MapConductorApi();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
