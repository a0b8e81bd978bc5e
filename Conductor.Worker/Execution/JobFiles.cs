using System.Globalization;
using Conductor.Core.Jobs;

namespace Conductor.Worker.Execution;

/// <summary>
/// The job's directory <c>&lt;data&gt;/jobs/&lt;id&gt;/</c>: <c>script.sh</c>, the <c>pid</c> file and the
/// <c>exit_status</c> file, both written by the job's spawner, its parent process (never by the
/// worker), so they stay truthful when the worker dies, and <c>wrapper.log</c>, where anything
/// the job's shell says before the script's output is redirected goes. Output files default
/// to this directory.
/// </summary>
public sealed class JobFiles(string dataDir, Job job)
{
    public string Directory { get; } = Path.Combine(Path.GetFullPath(dataDir), "jobs", job.Id.ToString(CultureInfo.InvariantCulture));
    /// <summary><c>&lt;data&gt;/control/&lt;id&gt;/</c>: root-owned records the job cannot change.</summary>
    public string ControlDirectory { get; } = Path.Combine(Path.GetFullPath(dataDir), "control", job.Id.ToString(CultureInfo.InvariantCulture));
    public string CgroupRecordPath => Path.Combine(ControlDirectory, "cgroup");
    public string UsagePath => Path.Combine(ControlDirectory, "usage");
    public string ScriptPath => Path.Combine(Directory, "script.sh");
    public string PidPath => Path.Combine(Directory, "pid");
    public string ExitStatusPath => Path.Combine(Directory, "exit_status");
    public string WrapperLogPath => Path.Combine(Directory, "wrapper.log");
    public string WorkDir => job.WorkDir ?? Directory;
    public string StdoutPath => Resolve(job.StandardOutput, "stdout.log");
    public string StderrPath => Resolve(job.StandardError, "stderr.log");

    /// <summary>
    /// Null when the working directory and both output files resolve inside the allowed roots,
    /// else why not. Checked just before spawn: a symlink may have appeared since submit.
    /// </summary>
    public string? PathViolation(AllowedRoots roots)
    {
        // The job's own directory is made by the worker in <data>/jobs, where nobody else may
        // create or rename entries: only what lies below it needs its links resolved.
        var known = (Directory, Path.Combine(RealDataDirs.GetOrAdd(Path.GetFullPath(dataDir), RealPath.Resolve), "jobs", Path.GetFileName(Directory)));
        foreach (var (field, path) in new[] { ("current_working_directory", WorkDir), ("standard_output", StdoutPath), ("standard_error", StderrPath) })
            if (roots.Violation(path, known) is { } why) return $"{field} {path} {why}.";
        return null;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> RealDataDirs = new();

    /// <summary>
    /// Writes the script and clears what a previous attempt left behind. With a
    /// <paramref name="user"/>, the job directory (mode 0700), its script and a working
    /// directory created here belong to that user. Output files are not chowned: the wrapper
    /// creates them as the user, and chowning an existing file would hand it whatever it is.
    /// </summary>
    public void Prepare(JobUser? user)
    {
        // A new job directory has nothing of an earlier attempt in it to remove.
        if (!System.IO.Directory.Exists(Directory)) System.IO.Directory.CreateDirectory(Directory);
        else
        {
            File.Delete(PidPath);
            File.Delete(ExitStatusPath);
        }
        // Each attempt writes its output anew; deleting it before the spawn (the new pid is
        // recorded only after) lets a log follower tell the attempts apart without guessing.
        foreach (var output in new[] { StdoutPath, StderrPath })
            if (File.Exists(output)) File.Delete(output);
        // Synchronously: a script is small, and async file writes on Linux are thread-pool hops.
        File.WriteAllText(ScriptPath, job.Script);
        // Executable, so a script with its own interpreter line (#!/usr/bin/env python3) runs as such.
        File.SetUnixFileMode(ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                         | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var createWorkDir = !System.IO.Directory.Exists(WorkDir);
        System.IO.Directory.CreateDirectory(WorkDir);
        if (user is null) return;
        Chown(Directory, user);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Chown(ScriptPath, user);
        if (createWorkDir) Chown(WorkDir, user);
    }

    private static void Chown(string path, JobUser user)
    {
        // lchown: never follow a link to somewhere else.
        if (Mono.Unix.Native.Syscall.lchown(path, (uint)user.Uid, (uint)user.Gid) != 0)
            throw new IOException($"Could not give {path} to user {user.Name}: {Mono.Unix.Native.Stdlib.GetLastError()}.");
    }

    /// <summary>The script's exit status as bash reports it (128+n for signal n), when the spawner wrote one.</summary>
    public int? ReadExitStatus() => ReadFirstLine(ExitStatusPath) is { } s && int.TryParse(s, out var code) ? code : null;

    /// <summary>The job's pid, start ticks and boot id, as the spawner wrote them right after starting it.</summary>
    public (int Pid, long StartTicks, string BootId)? ReadPidFile()
    {
        var parts = ReadFirstLine(PidPath)?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: 3 }) return null;
        return int.TryParse(parts[0], out var pid) && long.TryParse(parts[1], out var ticks) ? (pid, ticks, parts[2]) : null;
    }

    private static string? ReadFirstLine(string path)
    {
        if (!File.Exists(path)) return null; // the common case in recovery: no exception per job
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 0 ? null : text.Split('\n')[0];
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Slurm-style patterns: %j job id, %x job name, %A array id, %a array task id, %% a percent sign; relative to the working directory.</summary>
    private string Resolve(string? pattern, string fallback)
    {
        if (string.IsNullOrEmpty(pattern)) return Path.Combine(WorkDir, fallback);
        var name = pattern.Replace("%%", "\0").Replace("%j", job.Id.ToString(CultureInfo.InvariantCulture))
            .Replace("%x", job.Name ?? $"job-{job.Id}")
            .Replace("%A", (job.ArrayJobId ?? job.Id).ToString(CultureInfo.InvariantCulture))
            .Replace("%a", job.ArrayTaskId?.ToString(CultureInfo.InvariantCulture) ?? "0").Replace("\0", "%");
        return Path.GetFullPath(name, WorkDir);
    }
}
