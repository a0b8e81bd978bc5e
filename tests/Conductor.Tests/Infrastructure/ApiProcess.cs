using System.Diagnostics;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// The API executable as a real process (dotnet Conductor.Api.dll ...): for its CLI commands and
/// for start-up behaviour that only a real Kestrel binding shows. Output is kept for assertions.
/// </summary>
public sealed class ApiProcess(CapturedProcess process) : IAsyncDisposable
{
    public static string ApiDll => Path.Combine(TestEnvironment.RepoRoot, "Conductor.Api", "bin", TestEnvironment.Configuration, "net10.0", "Conductor.Api.dll");

    public string Output => process.Output;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;
    public int Pid => process.Pid;

    public static ApiProcess Start(string connectionString, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet", [ApiDll, .. args]) { WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(ApiDll)! };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        info.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (key, value) in env ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return new ApiProcess(CapturedProcess.Start(info));
    }

    /// <summary>Runs a command to its end (token create, list, revoke) and returns exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string connectionString, params string[] args)
    {
        await using var api = Start(connectionString, args);
        (await api.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().BeTrue($"'{string.Join(' ', args)}' ends by itself");
        return (api.ExitCode, api.Output);
    }

    public Task<bool> WaitForExitAsync(TimeSpan timeout) => process.WaitForExitAsync(timeout);

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) await process.KillAsync(entireTree: true);
        await process.DisposeAsync();
    }
}
