using System.Globalization;
using Microsoft.Extensions.Options;

namespace Conductor.Worker.Execution;

/// <summary>
/// Enforces a job's <c>memory_per_node</c> on its whole process tree with a memory cgroup (cgroup
/// v2, or the v1 memory controller) under this worker's own cgroup, in <c>conductor-jobs/</c>.
/// The job's shell moves itself into it before the script starts, so every descendant is inside.
/// When the kernel OOM-kills in it, the job ends FAILED <c>OutOfMemory</c>. Where no cgroup can
/// be created (unprivileged, read-only cgroupfs) memory is still reserved by the scheduler but
/// not enforced; that is logged once at start.
///
/// The cgroups are slots (<c>&lt;node&gt;.slot-N</c>) reused from job to job rather than one created
/// and removed per job: creating and removing a memory cgroup costs the kernel about 20 ms of CPU
/// (measured on cgroup v1 here), more than running a short job. A slot is handed out only while
/// its process list is empty; each job gets its own limit, and its OOM kills are counted from
/// the slot's count when the job took it. Slots belong to one node: workers of several nodes may
/// share a cgroup (one host, one service manager), and a slot whose job ended while its worker
/// was down must not be lent to another node's job, whose OOM kill would then be read as this job's. Which slot a job holds, with that count, is written to
/// its job directory (<c>cgroup</c>), so a re-adopted job is judged the same way after a restart.
/// </summary>
public sealed class MemoryCgroups : IDisposable
{
    private readonly string? _base;
    private readonly bool _v2;
    private readonly string _dataDir;
    private readonly string _slotPrefix;
    private readonly Lock _gate = new();
    private readonly Queue<string> _free = new();
    private readonly HashSet<string> _held = [];
    // The slot each job started here holds, as its job directory's record says: read back from
    // there only for a job this process did not start (re-adopted after a restart).
    private readonly Dictionary<(long JobId, int Attempt), (string Path, long OomKillsBefore)> _records = [];

    public MemoryCgroups(IOptions<WorkerOptions> options, ILogger<MemoryCgroups> log)
    {
        _dataDir = Path.GetFullPath(options.Value.DataDir);
        _slotPrefix = SlotPrefix(options.Value.NodeName);
        if (!options.Value.EnforceMemory)
        {
            log.LogInformation("EnforceMemory is off: job memory is reserved but not enforced");
            return;
        }
        (_base, _v2) = Locate();
        if (_base is null) log.LogWarning("No writable memory cgroup: job memory limits are reserved but not enforced");
        else log.LogInformation("Job memory limits enforced with cgroup {Version} under {CgroupBase}", _v2 ? "v2" : "v1", _base);
    }

    public bool Enabled => _base is not null;

    /// <summary>
    /// Gives the job a cgroup slot with its limit; null when limits cannot be enforced here. For a
    /// job that drops to an unprivileged user, the slot's process list is handed to that user so
    /// the job's shell may move itself in (enough on cgroup v1; v2's delegation rules also need
    /// write access to the common ancestor, so there an unprivileged job is left unlimited and
    /// says so in its wrapper.log).
    /// </summary>
    public string? Create(long jobId, int attempt, long memoryMb, JobUser? user = null)
    {
        if (_base is null) return null;
        string path;
        lock (_gate)
        {
            path = TakeSlot();
            _held.Add(path);
        }
        try
        {
            Directory.CreateDirectory(path);
            SetLimit(path, memoryMb * 1024 * 1024);
            // A slot already given to this user (the common case: jobs of one run-as user) is not
            // handed over again: one stat instead of three checks and three chowns per job.
            if (user is not null && !OwnedBy(path, user))
                foreach (var file in new[] { Path.Combine(path, "cgroup.procs"), Path.Combine(path, "tasks"), path }.Where(Path.Exists)) // the directory last: its owner vouches for the files
                    Mono.Unix.Native.Syscall.chown(file, (uint)user.Uid, (uint)user.Gid);
            var oomKills = OomKills(path);
            File.WriteAllText(RecordPath(jobId), string.Create(CultureInfo.InvariantCulture, $"{attempt} {oomKills} {path}\n"));
            lock (_gate) _records[(jobId, attempt)] = (path, oomKills);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_gate) _held.Remove(path);
            return null;
        }
    }

    /// <summary>True when the kernel killed a process of this job for exceeding its memory.</summary>
    public bool OomKilled(long jobId, int attempt) => Held(jobId, attempt) is { } slot && OomKills(slot.Path) > slot.OomKillsBefore;

    /// <summary>Gives the job's slot back once its processes are gone (a slot with any left is not reused).</summary>
    public void Remove(long jobId, int attempt)
    {
        if (Held(jobId, attempt) is not { } slot) return;
        lock (_gate)
        {
            _records.Remove((jobId, attempt));
            _held.Remove(slot.Path);
            if (IsEmpty(slot.Path)) _free.Enqueue(slot.Path);
        }
    }

    private string RecordPath(long jobId) => Path.Combine(_dataDir, "jobs", jobId.ToString(CultureInfo.InvariantCulture), "cgroup");

    /// <summary>The slot the job's attempt took, from its job directory.</summary>
    private (string Path, long OomKillsBefore)? Held(long jobId, int attempt)
    {
        if (_base is null) return null;
        lock (_gate)
            if (_records.TryGetValue((jobId, attempt), out var known)) return known;
        string[] parts;
        try
        {
            parts = File.ReadAllText(RecordPath(jobId)).Trim().Split(' ', 3);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return parts.Length == 3 && parts[0] == attempt.ToString(CultureInfo.InvariantCulture) && long.TryParse(parts[1], out var before)
               && Path.GetDirectoryName(parts[2]) == _base
            ? (parts[2], before)
            : null;
    }

    /// <summary>A slot nobody holds and nothing runs in: a freed one, one left on disk by an earlier run, or a new one.</summary>
    private string TakeSlot()
    {
        while (_free.TryDequeue(out var freed))
            if (!_held.Contains(freed) && IsEmpty(freed)) return freed;
        foreach (var dir in Directory.EnumerateDirectories(_base!, _slotPrefix + "*"))
            if (!_held.Contains(dir) && IsEmpty(dir)) return dir;
        for (var n = 0; ; n++)
        {
            var path = Path.Combine(_base!, string.Create(CultureInfo.InvariantCulture, $"{_slotPrefix}{n}"));
            if (!_held.Contains(path) && !Directory.Exists(path)) return path;
        }
    }

    /// <summary>
    /// The name every slot of this node starts with. A name with other characters than letters,
    /// digits, '-' and '_' has them replaced and a hash of the whole name added, so two nodes never
    /// share a prefix and the '.' before "slot-" is the only one in it.
    /// </summary>
    internal static string SlotPrefix(string node)
    {
        var safe = string.Concat(node.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        if (safe != node)
            safe += "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(node)))[..8];
        return safe + ".slot-";
    }

    /// <summary>
    /// At shutdown, removes this node's slots that no job holds and nothing runs in. A slot of a
    /// job left running stays, with its OOM count, for the worker that re-adopts it.
    /// </summary>
    public void Dispose()
    {
        if (_base is null) return;
        lock (_gate) RemoveIdle(_base, _slotPrefix, _held.Contains);
    }

    /// <summary>
    /// Removes the slots of <paramref name="node"/> nothing runs in, under this process's own
    /// cgroup (as its workers would find it): for a node whose worker was killed, not stopped.
    /// </summary>
    public static void RemoveIdleSlotsOf(string node)
    {
        if (Locate() is (string root, _)) RemoveIdle(root, SlotPrefix(node), _ => false);
    }

    private static void RemoveIdle(string root, string prefix, Func<string, bool> held)
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(root, prefix + "*"))
                if (!held(dir) && IsEmpty(dir)) Mono.Unix.Native.Syscall.rmdir(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>True when the slot's directory belongs to the user already (its files were handed over with it).</summary>
    private static bool OwnedBy(string slot, JobUser user) =>
        Mono.Unix.Native.Syscall.lstat(slot, out var stat) == 0 && stat.st_uid == (uint)user.Uid && stat.st_gid == (uint)user.Gid;

    private static bool IsEmpty(string slot)
    {
        try
        {
            return File.ReadAllText(Path.Combine(slot, "cgroup.procs")).Trim().Length == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sets the slot's limit. Memory a previous job left charged (page cache) is reclaimed by the
    /// kernel to fit; on v1, if it cannot be, the slot is emptied of charges and the limit set again.
    /// </summary>
    private void SetLimit(string path, long bytes)
    {
        var value = bytes.ToString(CultureInfo.InvariantCulture);
        if (_v2)
        {
            File.WriteAllText(Path.Combine(path, "memory.max"), value);
            TryWrite(Path.Combine(path, "memory.swap.max"), "0");
            return;
        }
        var limit = Path.Combine(path, "memory.limit_in_bytes");
        try
        {
            File.WriteAllText(limit, value);
        }
        catch (IOException)
        {
            TryWrite(Path.Combine(path, "memory.force_empty"), "0");
            File.WriteAllText(limit, value);
        }
    }

    /// <summary>The slot's count of OOM kills so far (v2 memory.events, v1 memory.oom_control).</summary>
    private long OomKills(string slot)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(slot, _v2 ? "memory.events" : "memory.oom_control")))
            {
                var p = line.Split(' ');
                if (p.Length == 2 && p[0] == "oom_kill" && long.TryParse(p[1], out var n)) return n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

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
