using System.Diagnostics;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// A real Conductor.Worker process (dotnet Conductor.Worker.dll), so crash tests can SIGKILL it.
/// Its console output is kept for the failure message of the test that started it.
/// </summary>
public sealed class WorkerProcess(CapturedProcess process) : IAsyncDisposable
{
    public int Pid => process.Pid;
    public bool HasExited => process.HasExited;
    public string Output => process.Output;

    public static WorkerProcess Start(WorkerSettings settings)
    {
        var info = new ProcessStartInfo("dotnet", [TestEnvironment.WorkerDll]) { WorkingDirectory = settings.DataDir };
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

        return new WorkerProcess(CapturedProcess.Start(info));
    }

    /// <summary>SIGKILL: the crash every recovery test is about.</summary>
    public Task KillAsync() => process.KillAsync();

    /// <summary>SIGTERM, as systemd or docker stop sends it.</summary>
    public void Terminate() => Mono.Unix.Native.Syscall.kill(process.Pid, Mono.Unix.Native.Signum.SIGTERM);

    public Task<bool> WaitForExitAsync(TimeSpan timeout) => process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => process.DisposeAsync();
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
