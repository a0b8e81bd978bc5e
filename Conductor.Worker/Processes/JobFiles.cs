using System.Collections.Concurrent;
using System.Globalization;
using Conductor.Core.Files;
using Conductor.Core.Jobs;

namespace Conductor.Worker.Processes;

/// <summary>
/// A job's two directories and the trust boundary between them.
/// <c>&lt;data&gt;/control/&lt;id&gt;/</c> (worker-owned, group the job's, 0750) holds what only the
/// worker and its spawner write: <c>script.sh</c> (0750: the job reads and runs it, cannot change
/// it), the pid record and exit status (written by the spawner, the job's parent, so they stay
/// truthful when the worker dies), the cgroup and usage records.
/// <c>&lt;data&gt;/jobs/&lt;id&gt;/</c> (the job's user's, 0700) is the job's own: its default working
/// directory, its default output files and <c>wrapper.log</c>; nothing there is trusted.
/// Everything done here as root goes through descriptors opened without following links
/// (<see cref="SafeDir"/>); nothing is chmodded, chowned or deleted by path in job-writable space.
/// </summary>
public sealed class JobFiles(string dataDir, Job job)
{
    private static readonly uint ControlMode = 0b111_101_000, ScriptMode = 0b111_101_000, OwnMode = 0b111_000_000; // 0750, 0750, 0700
    private readonly string _id = job.Id.ToString(CultureInfo.InvariantCulture);
    private readonly string _dataDir = Path.GetFullPath(dataDir);

    public string Directory => Path.Combine(_dataDir, DataLayout.JobsName, _id);
    /// <summary><c>&lt;data&gt;/control/&lt;id&gt;/</c>: root-owned records the job cannot change.</summary>
    public string ControlDirectory => Path.Combine(_dataDir, DataLayout.ControlName, _id);
    public string ScriptPath => Path.Combine(ControlDirectory, "script.sh");
    public string PidPath => Path.Combine(ControlDirectory, "pid");
    public string ExitStatusPath => Path.Combine(ControlDirectory, "exit_status");
    public string CgroupRecordPath => Path.Combine(ControlDirectory, "cgroup");
    public string WrapperLogPath => Path.Combine(Directory, "wrapper.log");
    public string WorkDir => job.WorkDir ?? Directory;
    public string StdoutPath => Resolve(job.StandardOutput, "stdout.log");
    public string StderrPath => Resolve(job.StandardError, "stderr.log");

    // The layout's directories, held open for the worker's lifetime: per job, everything is relative to them.
    private static readonly ConcurrentDictionary<string, Lazy<DataLayout>> Layouts = new();

    /// <summary>Creates or checks <c>&lt;data&gt;/jobs</c> and <c>&lt;data&gt;/control</c>; throws when the worker must not start.</summary>
    public static void PrepareLayout(string dataDir) =>
        Layouts[Path.GetFullPath(dataDir)] = new Lazy<DataLayout>(DataLayout.Prepare(dataDir));

    private DataLayout Layout => Layouts.GetOrAdd(_dataDir, d => new Lazy<DataLayout>(() => DataLayout.Prepare(d))).Value;

    /// <summary>
    /// Null when the working directory and both output files may be used, else why not. Checked
    /// just before spawn: a link may have appeared since submit. The job's own directory is its
    /// own (as its default working directory, and for output files in it, which the job's shell
    /// opens as the job's user); anything else must be inside the allowed roots and not below the data dir.
    /// </summary>
    public string? PathViolation(AllowedRoots roots)
    {
        foreach (var (field, path) in new[] { ("current_working_directory", WorkDir), ("standard_output", StdoutPath), ("standard_error", StderrPath) })
        {
            // A retry finds its own directory recorded as its working directory by the first attempt.
            var own = field == "current_working_directory" ? path == Directory : InOwnDirectory(path);
            if (!own && roots.Violation(path, _dataDir) is { } why) return $"{field} {path} {why}.";
        }
        return null;
    }

    private bool InOwnDirectory(string path) => path.StartsWith(Directory + "/", StringComparison.Ordinal) && !path.Split('/').Contains("..");

    /// <summary>
    /// Makes both directories for this attempt: the control directory with the script (what an
    /// earlier attempt left there is replaced), the job's own directory for <paramref name="user"/>
    /// (null: the worker's own user, which is then not root), a missing working directory where
    /// the user could have made it, and removes the output files an earlier attempt left (as the
    /// user could: see <see cref="UserPaths"/>), so a log follower tells the attempts apart.
    /// </summary>
    public void Prepare(JobUser? user)
    {
        var (uid, gid) = user is null ? (DataLayout.WorkerUid, DataLayout.WorkerGid) : ((uint)user.Uid, (uint)user.Gid);
        using (var control = OpenOrMake(Layout.Control, out var fresh))
        {
            control.SetOwnerAndMode(DataLayout.WorkerUid, gid, ControlMode);
            if (!fresh)
            {
                control.Unlink("pid");
                control.Unlink("exit_status");
            }
            control.WriteNewFile("script.sh", job.Script, ScriptMode, (DataLayout.WorkerUid, gid));
        }
        using (var own = OpenOrMake(Layout.Jobs, out var created))
        {
            // The entry is in <data>/jobs, where only the worker creates or renames: it is the directory made for this job.
            own.SetOwnerAndMode(uid, gid, OwnMode);
            if (!created)
                foreach (var output in new[] { StdoutPath, StderrPath }.Distinct())
                    RemoveStaleOutput(own, output, uid);
        }
        // Made only where the user could have made it; elsewhere the job's shell fails to enter it, as the user would.
        if (job.WorkDir is { } wd && !System.IO.Directory.Exists(wd)) UserPaths.CreateDirectoryFor(wd, uid, gid);
    }

    private void RemoveStaleOutput(SafeDir own, string output, uint uid)
    {
        // In the job's own directory: the user owns it, so whatever is there (a link too) is the user's to lose.
        if (Path.GetDirectoryName(output) == Directory)
        {
            if (own.StatEntry(Path.GetFileName(output)) is { IsDirectory: false }) own.Unlink(Path.GetFileName(output));
        }
        else UserPaths.RemoveIfTheirs(output, uid);
    }

    private SafeDir OpenOrMake(SafeDir parent, out bool made)
    {
        made = parent.MakeDir(_id, OwnMode);
        return parent.OpenDir(_id, out var errno) ?? throw new IOException($"Could not open {Path.Combine(parent.Path, _id)} (errno {errno}).");
    }

    /// <summary>
    /// The uid the job ran as, from its own directory's owner (set by the worker through a
    /// descriptor; the job cannot give it away, and the entry in <c>&lt;data&gt;/jobs</c> cannot be
    /// swapped): for a job whose process is gone before its pid reached the database. Null when there is none.
    /// </summary>
    public int? OwnDirectoryOwner() => Layout.Jobs.StatEntry(_id) is { IsDirectory: true } st ? (int)st.Uid : null;

    /// <summary>The script's exit status as bash reports it (128+n for signal n), when the spawner wrote one.</summary>
    public int? ReadExitStatus() => ReadRecord("exit_status") is { } s && int.TryParse(s, out var code) ? code : null;

    /// <summary>The job's pid, start ticks and boot id, as the spawner wrote them right after starting it.</summary>
    public (int Pid, long StartTicks, string BootId)? ReadPidFile()
    {
        var parts = ReadRecord("pid")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: >= 3 }) return null;
        return int.TryParse(parts[0], out var pid) && long.TryParse(parts[1], out var ticks) ? (pid, ticks, parts[2]) : null;
    }

    /// <summary>
    /// The first line of a record in the control directory, only if it is a regular file owned by
    /// the worker's user and reached without a link; null otherwise (missing is the common case).
    /// </summary>
    public string? ReadRecord(string name)
    {
        var text = Layout.Control.ReadOwnedFile($"{_id}/{name}", DataLayout.WorkerUid)?.Trim();
        return string.IsNullOrEmpty(text) ? null : text.Split('\n')[0];
    }

    /// <summary>Writes a record (cgroup, usage) into the control directory anew, mode 0640, group the job's.</summary>
    public void WriteRecord(string name, string text)
    {
        using var control = Layout.Control.OpenDir(_id, out var errno) ?? throw new IOException($"Could not open {ControlDirectory} (errno {errno}).");
        control.WriteNewFile(name, text, 0b110_100_000, (DataLayout.WorkerUid, control.Stat().Gid));
    }

    /// <summary>Slurm-style patterns: %j job id, %x job name, %A array id, %a array task id, %% a percent sign; relative to the working directory.</summary>
    private string Resolve(string? pattern, string fallback)
    {
        if (string.IsNullOrEmpty(pattern)) return Path.Combine(WorkDir, fallback);
        var name = pattern.Replace("%%", "\0").Replace("%j", _id)
            .Replace("%x", job.Name ?? $"job-{job.Id}")
            .Replace("%A", (job.ArrayJobId ?? job.Id).ToString(CultureInfo.InvariantCulture))
            .Replace("%a", job.ArrayTaskId?.ToString(CultureInfo.InvariantCulture) ?? "0").Replace("\0", "%");
        return Path.GetFullPath(name, WorkDir);
    }
}
