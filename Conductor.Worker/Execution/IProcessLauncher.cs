using CliWrap;

namespace Conductor.Worker.Execution;

/// <summary>What to start: the job's files, the cores to pin it to, and its environment.</summary>
/// <param name="MemoryCgroup">the job's memory cgroup directory, which the wrapper joins first; null for none</param>
public sealed record LaunchRequest(JobFiles Files, IReadOnlyList<int> CpuIds, IReadOnlyDictionary<string, string?> Environment, string? MemoryCgroup);

/// <summary>A started wrapper: its pid (= process group id) and its exit code once it ends.</summary>
public sealed record LaunchedProcess(int Pid, Task<int> Exited);

public interface IProcessLauncher
{
    LaunchedProcess Launch(LaunchRequest request);
}

/// <summary>
/// Starts <c>setsid taskset -c &lt;cores&gt; bash -c &lt;wrapper&gt;</c> with CliWrap. setsid and taskset
/// both exec in place, so the pid CliWrap reports is the wrapper shell, the session leader.
/// </summary>
public sealed class CliWrapLauncher : IProcessLauncher
{
    public LaunchedProcess Launch(LaunchRequest request)
    {
        var files = request.Files;
        var command = Cli.Wrap("setsid")
            .WithArguments([
                "taskset", "-c", string.Join(',', request.CpuIds),
                "bash", "-c", Wrapper.Script, files.ScriptPath,
                files.Directory, files.StdoutPath, files.StderrPath, files.WorkDir, request.MemoryCgroup ?? "",
            ])
            .WithWorkingDirectory(files.Directory)
            .WithEnvironmentVariables(request.Environment)
            .WithValidation(CommandResultValidation.None);
        // No cancellation token: the worker stops jobs by signalling their process group,
        // never by CliWrap killing only the direct child.
        var task = command.ExecuteAsync();
        return new LaunchedProcess(task.ProcessId, WaitAsync(task));
    }

    private static async Task<int> WaitAsync(CommandTask<CommandResult> task) => (await task).ExitCode;
}
