using System.Diagnostics;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Conductor.Tests.Integration;

/// <summary>
/// A test database plus the real API listening on a real port (Kestrel, not the in-memory test
/// server), because the operations commands run as separate processes and check GET /health.
/// </summary>
public sealed class ListeningApiFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;
    public string ApiUrl { get; private set; } = null!;
    public string DataDir { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        DataDir = TestEnvironment.NewScratchDir("ops");
        Api = new ApiHost(Database.ConnectionString, new Dictionary<string, string> { ["urls"] = "http://127.0.0.1:0" });
        Api.UseKestrel();
        Api.StartServer();
        ApiUrl = Api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Each test starts from empty tables, as Hangfire's CleanDatabase does.</summary>
    public Task TruncateAsync() => Database.ExecuteAsync("TRUNCATE jobs, job_events, allocations, nodes RESTART IDENTITY");

    public Task<CommandOutput> RunAsync(params string[] args) => OperationsCommand.RunAsync(Database.ConnectionString, DataDir, ApiUrl, args);

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public sealed record CommandOutput(int ExitCode, string Stdout, string Stderr)
{
    public JsonNode Json() => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("empty output");

    public JsonNode Check(string name) =>
        Json()["checks"]!.AsArray().FirstOrDefault(c => c!["name"]!.GetValue<string>() == name)
        ?? throw new InvalidOperationException($"no check '{name}' in {Stdout}");

    public override string ToString() => $"exit {ExitCode}\n{Stdout}\n{Stderr}";
}

/// <summary>Runs <c>dotnet Conductor.Worker.dll COMMAND ...</c> the way cron would, configured only by environment variables.</summary>
public static class OperationsCommand
{
    public static async Task<CommandOutput> RunAsync(string connectionString, string dataDir, string? apiUrl, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet", [TestEnvironment.WorkerDll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        info.Environment["Conductor__Worker__DataDir"] = dataDir;
        if (apiUrl is not null) info.Environment["CONDUCTOR_API_URL"] = apiUrl;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new CommandOutput(process.ExitCode, await stdout, await stderr);
    }
}
