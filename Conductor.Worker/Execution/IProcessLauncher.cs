using System.Globalization;
using Conductor.Worker.Execution.Spawning;

namespace Conductor.Worker.Execution;

/// <summary>
/// What to start: the job's files, the cores to pin it to, its environment, the user to drop to
/// (null: keep the worker's, which is then not root), the per-file output limit (0: none) and the
/// memory cgroup.
/// </summary>
public sealed record LaunchRequest(JobFiles Files, IReadOnlyList<int> CpuIds, IReadOnlyDictionary<string, string?> Environment)
{
    public JobUser? User { get; init; }
    public long MaxOutputBytes { get; init; }

    /// <summary>The job's memory cgroup directory, which the wrapper joins first; null for none.</summary>
    public string? MemoryCgroup { get; init; }
}

/// <summary>
/// A started job shell: its pid (= process group and session id), its start time in clock ticks
/// (with the boot id, what identifies it), and its exit status once it ends — as bash reports it,
/// 128+n for signal n; null when it could not be learned.
/// </summary>
public sealed record LaunchedProcess(int Pid, long StartTicks, Task<int?> Exited)
{
    /// <summary>The uid the job runs as.</summary>
    public int Uid { get; init; } = (int)Mono.Unix.Native.Syscall.geteuid();
}

public interface IProcessLauncher
{
    Task<LaunchedProcess> LaunchAsync(LaunchRequest request, CancellationToken ct);
}

/// <summary>
/// Starts jobs through a long-lived spawner process per Unix user (<see cref="SpawnerHost"/>),
/// which posix_spawns <c>bash -c &lt;wrapper&gt;</c> directly: already running as the job's user
/// with no_new_privs, pinned to the job's cores, in a new session. The only exec per job is
/// bash's own; a job costs about what starting <c>bash -c true</c> does.
/// </summary>
public sealed class SpawnerLauncher(IProcessProbe probe, ILogger<SpawnerLauncher> log) : IProcessLauncher, IAsyncDisposable
{
    private readonly Dictionary<long, Task<SpawnerClient>> _spawners = [];
    private readonly Lock _gate = new();

    public async Task<LaunchedProcess> LaunchAsync(LaunchRequest request, CancellationToken ct)
    {
        var files = request.Files;
        var env = request.Environment.Where(kv => kv.Value is not null).Select(kv => $"{kv.Key}={kv.Value}").ToArray();
        var spawn = new SpawnRequest(0, Tools.Bash,
            ["bash", "-c", Wrapper.Script, files.ScriptPath, files.StdoutPath, files.StderrPath, files.WorkDir,
                FileSizeBlocks(request.MaxOutputBytes), request.MemoryCgroup ?? ""],
            env, files.Directory, request.CpuIds, files.WrapperLogPath, files.PidPath, files.ExitStatusPath);
        var spawner = await SpawnerFor(request.User, ct);
        var process = await spawner.SpawnAsync(spawn, ct);
        return request.User is { } user ? process with { Uid = (int)user.Uid } : process;
    }

    /// <summary>Starts the spawner for <paramref name="user"/> ahead of the first job, so that job does not wait for it.</summary>
    public async Task WarmUpAsync(JobUser? user, CancellationToken ct)
    {
        try
        {
            await SpawnerFor(user, ct);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            log.LogWarning("Could not start the job spawner for {User} ahead of time: {Error}", user?.Name ?? "the worker's user", e.Message);
        }
    }

    private Task<SpawnerClient> SpawnerFor(JobUser? user, CancellationToken ct)
    {
        var key = user?.Uid ?? -1;
        lock (_gate)
        {
            // Reuse one that is starting or running; replace one that failed to start or has died.
            if (_spawners.TryGetValue(key, out var existing) && (!existing.IsCompleted || existing is { IsCompletedSuccessfully: true, Result.IsAlive: true }))
                return existing;
            var started = SpawnerClient.StartAsync(user, probe, log, CancellationToken.None);
            _spawners[key] = started;
            return started.WaitAsync(ct);
        }
    }

    /// <summary>bash's <c>ulimit -f</c> counts 1024-byte blocks.</summary>
    private static string FileSizeBlocks(long bytes) =>
        bytes <= 0 ? "unlimited" : ((bytes + 1023) / 1024).ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        List<Task<SpawnerClient>> spawners;
        lock (_gate) spawners = [.. _spawners.Values];
        foreach (var task in spawners)
        {
            try
            {
                (await task).Close();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
            {
                // never started: nothing to close
            }
        }
    }
}
