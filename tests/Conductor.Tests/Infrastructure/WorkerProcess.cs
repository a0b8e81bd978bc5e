using System.Diagnostics;
using System.Text;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// A real Conductor.Worker process (dotnet Conductor.Worker.dll), so crash tests can SIGKILL it.
/// Its console output is kept for the failure message of the test that started it.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process) => _process = process;

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static WorkerProcess Start(WorkerSettings settings)
    {
        var info = new ProcessStartInfo("dotnet", [TestEnvironment.WorkerDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = settings.DataDir,
        };
        info.Environment["ConnectionStrings__Postgres"] = settings.ConnectionString;
        info.Environment["ConnectionStrings__Redis"] = settings.Redis;
        info.Environment["Conductor__Worker__Name"] = settings.Name;
        info.Environment["Conductor__Worker__Cpus"] = settings.Cpus.ToString();
        info.Environment["Conductor__Worker__Partition"] = settings.Partition;
        info.Environment["Conductor__Worker__DataDir"] = settings.DataDir;
        info.Environment["Conductor__Worker__GraceSeconds"] = settings.GraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Conductor__Worker__HeartbeatSeconds"] = settings.HeartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Conductor__Worker__LeaseSeconds"] = settings.LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Conductor__Worker__OnShutdown"] = settings.OnShutdown;
        info.Environment["LOG_LEVEL"] = "Debug";
        if (settings.FaultPoint is { } point) info.Environment["CONDUCTOR_FAULT_POINT"] = point;
        foreach (var (key, value) in settings.Extra) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>SIGKILL: the crash every recovery test is about.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or docker stop sends it.</summary>
    public void Terminate() => Mono.Unix.Native.Syscall.kill(_process.Id, Mono.Unix.Native.Signum.SIGTERM);

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

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

public sealed record WorkerSettings(string ConnectionString, string Name, string DataDir)
{
    public string Redis { get; init; } = TestEnvironment.Redis;
    public int Cpus { get; init; } = 2;
    public string Partition { get; init; } = "default";
    public double GraceSeconds { get; init; } = 2;
    public double HeartbeatSeconds { get; init; } = 1;
    public double LeaseSeconds { get; init; } = 5;
    public string OnShutdown { get; init; } = "Leave";
    public string? FaultPoint { get; init; }
    public Dictionary<string, string> Extra { get; init; } = [];
}
