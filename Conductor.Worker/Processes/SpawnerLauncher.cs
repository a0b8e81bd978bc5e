using System.Globalization;
using Conductor.Worker.Processes.Spawning;

namespace Conductor.Worker.Processes;

/// <summary>
/// Starts jobs through one long-lived spawner process (<see cref="SpawnerHost"/>) for every job
/// user, which posix_spawns <c>bash -c &lt;wrapper&gt;</c> directly: as the job's user with
/// no_new_privs, pinned to the job's cores and inside its cgroups, in a new session. The only exec
/// per job is bash's own; a job costs about what starting <c>bash -c true</c> does.
/// </summary>
public sealed class SpawnerLauncher(IProcessProbe probe, ILogger<SpawnerLauncher> log) : IProcessLauncher, IAsyncDisposable
{
    private Task<SpawnerClient>? _spawner;
    private readonly Lock _gate = new();

    public async Task<LaunchedProcess> LaunchAsync(LaunchRequest request, CancellationToken ct)
    {
        var files = request.Files;
        var gated = request.Cgroups.Entry == CgroupEntry.Gate;
        var env = request.Environment.Where(kv => kv.Value is not null).Select(kv => $"{Deferred(kv.Key)}={kv.Value}").ToArray();
        var spawn = new SpawnRequest(0, Tools.Bash,
            ["bash", "-c", Wrapper.Script, files.ScriptPath, files.StdoutPath, files.StderrPath, files.WorkDir,
                FileSizeBlocks(request.MaxOutputBytes), gated ? "gate" : ""],
            env, files.Directory, request.CpuIds, files.WrapperLogPath, files.PidPath, files.ExitStatusPath)
        {
            Uid = (int?)request.User?.Uid ?? -1, Gid = (int?)request.User?.Gid ?? -1, Cgroups = request.Cgroups,
        };
        var spawner = await Spawner(ct);
        var process = await spawner.SpawnAsync(spawn, ct);
        return request.User is { } user ? process with { Uid = (int)user.Uid } : process;
    }

    /// <summary>Starts the spawner ahead of the first job, so that job does not wait for it (one spawner serves every user).</summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        try
        {
            await Spawner(ct);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            log.LogWarning("Could not start the job spawner ahead of time: {Error}", e.Message);
        }
    }

    private Task<SpawnerClient> Spawner(CancellationToken ct)
    {
        lock (_gate)
        {
            // Reuse one that is starting or running; replace one that failed to start or has died.
            if (_spawner is { } existing && (!existing.IsCompleted || existing is { IsCompletedSuccessfully: true, Result.IsAlive: true }))
                return existing.WaitAsync(ct);
            _spawner = SpawnerClient.StartAsync(probe, log, CancellationToken.None);
            return _spawner.WaitAsync(ct);
        }
    }

    /// <summary>
    /// The job's shell runs the wrapper's builtins before the script: with a gate before it is in
    /// its cgroups, and always before <c>ulimit -f</c> caps its output. Variables that make bash or
    /// the dynamic loader run code at start-up (BASH_ENV, ENV, SHELLOPTS/PS4 tracing, LD_PRELOAD and
    /// the other LD_*, GCONV_PATH; see <see cref="Core.Jobs.EnvironmentPolicy.IsHeldBack"/>) would
    /// run the job's code there. They reach the shell renamed (<c>__CJ_ENV_&lt;name&gt;</c>) and the
    /// wrapper exports them under their names once the cap is set.
    /// </summary>
    internal static string Deferred(string name) =>
        Core.Jobs.EnvironmentPolicy.IsHeldBack(name) ? "__CJ_ENV_" + name : name;

    /// <summary>bash's <c>ulimit -f</c> counts 1024-byte blocks.</summary>
    private static string FileSizeBlocks(long bytes) =>
        bytes <= 0 ? "unlimited" : ((bytes + 1023) / 1024).ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Task<SpawnerClient>? spawner;
        lock (_gate) spawner = _spawner;
        if (spawner is null) return;
        try
        {
            (await spawner).Close();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            // never started: nothing to close
        }
    }
}
