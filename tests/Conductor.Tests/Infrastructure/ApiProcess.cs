using System.Diagnostics;
using System.Text;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// The API executable as a real process (dotnet Conductor.Api.dll ...): for its CLI commands and
/// for start-up behaviour that only a real Kestrel binding shows. Output is kept for assertions.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process) => _process = process;

    public static string ApiDll => Path.Combine(TestEnvironment.RepoRoot, "Conductor.Api", "bin", TestEnvironment.Configuration, "net10.0", "Conductor.Api.dll");

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ApiProcess Start(string connectionString, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo("dotnet", [ApiDll, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ApiDll)!,
        };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        info.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (key, value) in env ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = new Process { StartInfo = info };
        var api = new ApiProcess(process);
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return api;
    }

    /// <summary>Runs a command to its end (token create, list, revoke) and returns exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string connectionString, params string[] args)
    {
        await using var api = Start(connectionString, args);
        (await api.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().BeTrue($"'{string.Join(' ', args)}' ends by itself");
        return (api.ExitCode, api.Output);
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
