using System.Globalization;
using CliWrap;

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

/// <summary>A started wrapper: its pid (= process group id) and its exit code once it ends.</summary>
public sealed record LaunchedProcess(int Pid, Task<int> Exited);

public interface IProcessLauncher
{
    LaunchedProcess Launch(LaunchRequest request);
}

/// <summary>
/// Starts <c>setsid [setpriv --reuid --regid --init-groups --no-new-privs --] taskset -c &lt;cores&gt;
/// bash -c &lt;wrapper&gt;</c> with CliWrap. setsid, setpriv and taskset all exec in place, so the pid
/// CliWrap reports is the wrapper shell, the session leader. Every tool is named by absolute
/// path (see <see cref="Tools"/>); no_new_privs keeps a job from regaining root through a
/// setuid binary.
/// </summary>
public sealed class CliWrapLauncher : IProcessLauncher
{
    public LaunchedProcess Launch(LaunchRequest request)
    {
        var files = request.Files;
        var args = new List<string>();
        if (request.User is { } user)
            args.AddRange([Tools.Setpriv, $"--reuid={user.Uid}", $"--regid={user.Gid}", "--init-groups", "--no-new-privs", "--"]);
        args.AddRange([
            Tools.Taskset, "-c", string.Join(',', request.CpuIds),
            Tools.Bash, "-c", Wrapper.Script, files.ScriptPath,
            files.Directory, files.StdoutPath, files.StderrPath, files.WorkDir, FileSizeBlocks(request.MaxOutputBytes),
            request.MemoryCgroup ?? "",
        ]);
        var command = Cli.Wrap(Tools.Setsid)
            .WithArguments(args)
            .WithWorkingDirectory(files.Directory)
            .WithEnvironmentVariables(request.Environment)
            .WithValidation(CommandResultValidation.None);
        // No cancellation token: the worker stops jobs by signalling their process group,
        // never by CliWrap killing only the direct child.
        var task = command.ExecuteAsync();
        return new LaunchedProcess(task.ProcessId, WaitAsync(task));
    }

    /// <summary>bash's <c>ulimit -f</c> counts 1024-byte blocks.</summary>
    private static string FileSizeBlocks(long bytes) =>
        bytes <= 0 ? "unlimited" : ((bytes + 1023) / 1024).ToString(CultureInfo.InvariantCulture);

    private static async Task<int> WaitAsync(CommandTask<CommandResult> task) => (await task).ExitCode;
}
