using System.ComponentModel;
using System.Globalization;
using Conductor.Worker.Processes.Spawning;

namespace Conductor.Worker.Processes.Cgroups;

/// <summary>The slots: taking one, setting it up for a job, reading records back, removing idle ones.</summary>
public sealed partial class JobCgroups
{
    private const int EBusy = 16;

    /// <summary>A slot nobody holds and nothing runs in: a freed one (emptied before it was freed), one left on disk by an earlier run, or a new one.</summary>
    private string TakeSlot()
    {
        while (_free.TryDequeue(out var freed))
            if (!_held.Contains(freed)) return freed;
        var listing = _layout.Bases.Values.First();
        foreach (var dir in System.IO.Directory.EnumerateDirectories(listing, _slotPrefix + "*"))
            if (!_held.Contains(Path.GetFileName(dir)) && IsEmptyDir(dir)) return Path.GetFileName(dir);
        for (var n = 0; ; n++)
        {
            var slot = string.Create(CultureInfo.InvariantCulture, $"{_slotPrefix}{n}");
            if (!_held.Contains(slot) && !System.IO.Directory.Exists(Path.Combine(listing, slot))) return slot;
        }
    }

    /// <summary>First use of a slot by this process: its directories, memory nodes, pids limit and no swap.</summary>
    private SlotSettings Initialize(Dictionary<CgroupController, string> dirs)
    {
        foreach (var dir in dirs.Values.Distinct()) System.IO.Directory.CreateDirectory(dir);
        if (dirs.TryGetValue(CgroupController.Cpuset, out var cpuset) && !_layout.V2)
            LibC.WriteFile(Path.Combine(cpuset, "cpuset.mems"), File.ReadAllText(Path.Combine(_layout.Bases[CgroupController.Cpuset], "cpuset.mems")).Trim());
        if (dirs.TryGetValue(CgroupController.Pids, out var pids))
            LibC.WriteFile(Path.Combine(pids, "pids.max"), _options.PidsLimit > 0 ? _options.PidsLimit.ToString(CultureInfo.InvariantCulture) : "max");
        var memsw = false;
        if (dirs.TryGetValue(CgroupController.Memory, out var memory))
        {
            if (_layout.V2) CgroupLayout.TryWrite(Path.Combine(memory, "memory.swap.max"), "0");
            else memsw = File.Exists(Path.Combine(memory, "memory.memsw.limit_in_bytes"));
        }
        return new SlotSettings(-1, "", memsw);
    }

    /// <summary>The job's limits where they differ from the slot's, and (v1, unless done when it was freed) its counters back to zero.</summary>
    private SlotSettings Configure(Dictionary<CgroupController, string> dirs, SlotSettings slot, long memoryBytes, string cpus, bool resetCounters)
    {
        if (dirs.TryGetValue(CgroupController.Memory, out var memory) && slot.MemoryBytes != memoryBytes)
            SetMemory(memory, memoryBytes.ToString(CultureInfo.InvariantCulture), slot.Memsw);
        if (dirs.TryGetValue(CgroupController.Cpuset, out var cpuset) && slot.Cpus != cpus)
            LibC.WriteFile(Path.Combine(cpuset, "cpuset.cpus"), cpus);
        if (resetCounters) ResetCounters(dirs);
        return slot with { MemoryBytes = memoryBytes, Cpus = cpus };
    }

    /// <summary>v1: the peak memory and CPU time counters back to zero (v2 has none that can be reset).</summary>
    private void ResetCounters(IReadOnlyDictionary<CgroupController, string> dirs)
    {
        if (_layout.V2) return;
        if (dirs.TryGetValue(CgroupController.Memory, out var memory)) LibC.WriteFile(Path.Combine(memory, "memory.max_usage_in_bytes"), "0");
        if (dirs.TryGetValue(CgroupController.Cpuacct, out var cpuacct)) LibC.WriteFile(Path.Combine(cpuacct, "cpuacct.usage"), "0");
    }

    /// <summary>A slot's counters when a job takes it: the OOM kills so far and (v2) the CPU time so far.</summary>
    private sealed record SlotStart(long OomKills, long CpuUsec);

    private SlotStart CountersAtStart(IReadOnlyDictionary<CgroupController, string> dirs) =>
        new(OomKills(dirs), _layout.V2 ? CpuUsec(dirs) ?? 0 : 0);

    /// <summary>
    /// Readies an emptied slot for its next job when it is freed, off the next job's start:
    /// counters reset and read as that job will start from them (nothing runs in an empty slot
    /// in between: only this worker places processes in it). Null when that fails: the next
    /// job then does it when it takes the slot, as a slot's first job does.
    /// </summary>
    private SlotStart? PrepareForNext(IReadOnlyDictionary<CgroupController, string> dirs)
    {
        try
        {
            ResetCounters(dirs);
            return CountersAtStart(dirs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// v1 keeps memory ≤ memory+swap at every moment: raising writes memsw first, lowering the limit
    /// first. Memory a previous job left charged (page cache) is reclaimed to fit, or the slot is
    /// emptied of charges and the limit written again.
    /// </summary>
    private void SetMemory(string dir, string bytes, bool memsw)
    {
        if (_layout.V2)
        {
            LibC.WriteFile(Path.Combine(dir, "memory.max"), bytes);
            return;
        }
        var swap = Path.Combine(dir, "memory.memsw.limit_in_bytes");
        if (!memsw)
        {
            SetLimit(dir, bytes);
            return;
        }
        try
        {
            LibC.WriteFile(swap, bytes);
            SetLimit(dir, bytes);
        }
        catch (Win32Exception e) when (e.NativeErrorCode != EBusy)
        {
            SetLimit(dir, bytes);
            LibC.WriteFile(swap, bytes);
        }
    }

    private static void SetLimit(string dir, string bytes)
    {
        var limit = Path.Combine(dir, "memory.limit_in_bytes");
        try
        {
            LibC.WriteFile(limit, bytes);
        }
        catch (Win32Exception e) when (e.NativeErrorCode == EBusy)
        {
            CgroupLayout.TryWrite(Path.Combine(dir, "memory.force_empty"), "0");
            LibC.WriteFile(limit, bytes);
        }
    }

    /// <summary>The cgroup a control record names, when it is this attempt's and one of this node's slots.</summary>
    private JobCgroup? ReadRecord(JobFiles files, int attempt)
    {
        // Only a root-owned record reached without a link (see JobFiles.ReadRecord).
        if (files.ReadRecord("cgroup")?.Split(' ') is not { } parts) return null;
        if (parts.Length != 4 || parts[0] != attempt.ToString(CultureInfo.InvariantCulture)
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var oom) || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var cpu)
            || !parts[3].StartsWith(_slotPrefix, StringComparison.Ordinal) || parts[3].Contains('/') || parts[3].Contains(".."))
            return null;
        var dirs = _layout.Bases.ToDictionary(kv => kv.Key, kv => Path.Combine(kv.Value, parts[3]));
        return new JobCgroup(parts[3], _layout.V2, dirs, oom, cpu);
    }

    /// <summary>The slot's count of OOM kills so far (v2 memory.events, v1 memory.oom_control).</summary>
    private long OomKills(IReadOnlyDictionary<CgroupController, string> dirs) =>
        dirs.TryGetValue(CgroupController.Memory, out var memory) ? ReadKey(Path.Combine(memory, _layout.V2 ? "memory.events" : "memory.oom_control"), "oom_kill") ?? 0 : 0;

    private static long? CpuUsec(IReadOnlyDictionary<CgroupController, string> dirs) =>
        dirs.TryGetValue(CgroupController.Cpuacct, out var dir) ? ReadKey(Path.Combine(dir, "cpu.stat"), "usage_usec") : null;

    private static long? ReadKey(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var p = line.Split(' ');
                if (p.Length == 2 && p[0] == key && long.TryParse(p[1], CultureInfo.InvariantCulture, out var n)) return n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static long? ReadLong(string? dir, string file)
    {
        if (dir is null) return null;
        try
        {
            return long.TryParse(File.ReadAllText(Path.Combine(dir, file)).Trim(), CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
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

    /// <summary>At shutdown, removes this node's slots that no job holds and nothing runs in; a running job's stays for the worker that re-adopts it.</summary>
    public void Dispose()
    {
        lock (_gate) RemoveIdle(_layout, _slotPrefix, _held.Contains);
    }

    /// <summary>Removes the slots of <paramref name="node"/> nothing runs in (for a node whose worker was killed, not stopped).</summary>
    public static void RemoveIdleSlotsOf(string node) => RemoveIdle(CgroupLayout.Locate(create: false, devices: true), SlotPrefix(node), _ => false);

    private static void RemoveIdle(CgroupLayout layout, string prefix, Func<string, bool> held)
    {
        foreach (var root in layout.Bases.Values.Distinct())
        {
            try
            {
                foreach (var dir in System.IO.Directory.EnumerateDirectories(root, prefix + "*"))
                    if (!held(Path.GetFileName(dir)) && IsEmptyDir(dir)) Mono.Unix.Native.Syscall.rmdir(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsEmptyDir(string dir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(dir, "cgroup.procs")).Trim().Length == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
