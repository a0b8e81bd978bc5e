namespace Conductor.Worker.Execution;

/// <summary>
/// Enforces a job's <c>memory_per_node</c> on its whole process tree with a memory cgroup of its
/// own (cgroup v2, or the v1 memory controller), created under this worker's own cgroup as
/// <c>conductor-jobs/job-&lt;id&gt;-&lt;attempt&gt;</c>. The job's wrapper moves itself into it before the
/// script starts, so every descendant is inside. When the kernel OOM-kills in it, the job ends
/// FAILED <c>OutOfMemory</c>. Where no cgroup can be created (unprivileged, read-only cgroupfs)
/// memory is still reserved by the scheduler but not enforced; that is logged once at start.
/// The path is a pure function of job and attempt, so a re-adopted job is judged the same way.
/// </summary>
public sealed class MemoryCgroups
{
    private readonly string? _base;
    private readonly bool _v2;

    public MemoryCgroups(ILogger<MemoryCgroups> log)
    {
        (_base, _v2) = Locate();
        if (_base is null) log.LogWarning("No writable memory cgroup: job memory limits are reserved but not enforced");
        else log.LogInformation("Job memory limits enforced with cgroup {Version} under {CgroupBase}", _v2 ? "v2" : "v1", _base);
    }

    public bool Enabled => _base is not null;

    /// <summary>
    /// Creates the job's cgroup with its limit; null when limits cannot be enforced here. For a job
    /// that drops to an unprivileged user, the group's process list is handed to that user so the
    /// wrapper may move itself in (enough on cgroup v1; v2's delegation rules also need write
    /// access to the common ancestor, so there an unprivileged job is left unlimited and says so
    /// in its wrapper.log).
    /// </summary>
    public string? Create(long jobId, int attempt, long memoryMb, JobUser? user = null)
    {
        if (_base is null) return null;
        var path = PathOf(jobId, attempt)!;
        try
        {
            Directory.CreateDirectory(path);
            var bytes = (memoryMb * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
            File.WriteAllText(Path.Combine(path, _v2 ? "memory.max" : "memory.limit_in_bytes"), bytes);
            if (_v2) TryWrite(Path.Combine(path, "memory.swap.max"), "0");
            if (user is not null)
                foreach (var file in new[] { path, Path.Combine(path, "cgroup.procs"), Path.Combine(path, "tasks") }.Where(Path.Exists))
                    Mono.Unix.Native.Syscall.chown(file, (uint)user.Uid, (uint)user.Gid);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when the kernel killed a process of this job for exceeding its memory.</summary>
    public bool OomKilled(long jobId, int attempt)
    {
        var path = PathOf(jobId, attempt);
        if (path is null) return false;
        var file = Path.Combine(path, _v2 ? "memory.events" : "memory.oom_control");
        if (!File.Exists(file)) return false;
        try
        {
            return File.ReadLines(file).Select(l => l.Split(' ')).Any(p => p.Length == 2 && p[0] == "oom_kill" && p[1] != "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Removes the job's cgroup once its processes are gone (the kernel refuses while any remain).</summary>
    public void Remove(long jobId, int attempt)
    {
        if (PathOf(jobId, attempt) is { } path && Directory.Exists(path))
        {
            try
            {
                Directory.Delete(path);
            }
            catch (IOException)
            {
            }
        }
    }

    private string? PathOf(long jobId, int attempt) => _base is null ? null : Path.Combine(_base, $"job-{jobId}-{attempt}");

    private static (string?, bool) Locate()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/self/cgroup");
            var v1 = lines.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[1].Split(',').Contains("memory"));
            if (v1 is not null && Probe(Path.Combine("/sys/fs/cgroup/memory" + v1[2].TrimEnd('/'), "conductor-jobs")) is { } b1) return (b1, false);
            var v2 = lines.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[0] == "0" && p[1] == "");
            if (v2 is not null && File.Exists("/sys/fs/cgroup/cgroup.controllers")
                && File.ReadAllText("/sys/fs/cgroup/cgroup.controllers").Split(' ', '\n').Contains("memory")
                && Probe(Path.Combine("/sys/fs/cgroup" + v2[2].TrimEnd('/'), "conductor-jobs")) is { } b2)
            {
                TryWrite(Path.Combine(b2, "cgroup.subtree_control"), "+memory");
                return (b2, true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return (null, false);
    }

    private static string? Probe(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            return dir;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWrite(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
