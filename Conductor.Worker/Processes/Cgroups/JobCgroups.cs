using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.Options;
using Conductor.Worker.Node;
using Conductor.Worker.Processes.Spawning;

namespace Conductor.Worker.Processes.Cgroups;

/// <summary>
/// Gives each job its own root-owned cgroup (<see cref="CgroupLayout"/>): memory limited to the
/// job's memory (no swap), cpuset = its reserved cores, pids.max = <c>PidsLimit</c>, a freezer to
/// kill it whole, CPU accounting. The job is born inside (the spawner places it before its first
/// instruction) and cannot leave: nothing of it is ever handed to the job's user.
///
/// The cgroups are slots (<c>&lt;node&gt;.slot-N</c>, the same name in every hierarchy) reused from
/// job to job rather than created and removed per job: that costs the kernel about 20 ms of CPU
/// for a memory cgroup (measured on cgroup v1 here), more than running a short job. A slot is
/// held by one job at a time and handed on only once it is empty; the next job gets its own
/// limits (written only when they differ from what the slot has) and reset counters. Slots belong
/// to one node: workers of several nodes may share a cgroup, and a slot whose job ended while its
/// worker was down must not be lent to another node's job. Which slot a job holds is written to
/// its control directory (<c>cgroup</c>, root-owned), so a re-adopted job is contained, judged and
/// ended the same way after a restart.
/// </summary>
public sealed partial class JobCgroups : IDisposable
{
    private readonly CgroupLayout _layout;
    private readonly WorkerOptions _options;
    private readonly string _slotPrefix;
    private readonly Lock _gate = new();
    private readonly Queue<string> _free = new();
    private readonly HashSet<string> _held = [];
    // What this process last wrote to each slot, so an unchanged limit is not written again.
    private readonly Dictionary<string, SlotSettings> _settings = [];
    // The cgroup each job started here holds, by its record's path: read back from the record
    // only for a job this process did not start (re-adopted after a restart).
    private readonly Dictionary<string, (int Attempt, JobCgroup Cgroup)> _started = [];
    // Freed slots made ready for their next job when they were freed (see PrepareForNext).
    private readonly Dictionary<string, SlotStart> _prepared = [];

    // The GPU device rules of a GPU node (devices controller); null on a node without GPU device nodes.
    private readonly DeviceRules? _devices;

    /// <param name="Denied">the device rules the slot holds (<see cref="DeviceRules"/>); null = unknown, reset at next use</param>
    private sealed record SlotSettings(long MemoryBytes, string Cpus, bool Memsw, string? Denied = null);

    public JobCgroups(IOptions<WorkerOptions> options, ILogger<JobCgroups> log, NodeDevices? devices = null)
    {
        _options = options.Value;
        _slotPrefix = SlotPrefix(_options.NodeName);
        var rules = devices is { HaveDeviceNodes: true } ? new DeviceRules(devices.All, log) : null;
        _devices = rules is { Any: true } ? rules : null;
        _layout = CgroupLayout.Locate(create: true, memory: _options.EnforceMemory, devices: _devices is not null);
        if (!_options.EnforceMemory) log.LogInformation("EnforceMemory is off: job memory is reserved but not enforced");
        if (!Enabled)
        {
            log.LogWarning("No writable job cgroups ({Missing}): {Consequence}; jobs are ended by process group only, so a child that leaves its session survives cancel and time limits",
                string.Join(", ", Missing), string.Join("; ", Missing.Select(CgroupLayout.Consequence)));
            return;
        }
        foreach (var missing in Missing)
            log.LogWarning("The cgroup controller {Controller} is not available to this worker: {Consequence}", missing.ToString().ToLowerInvariant(), CgroupLayout.Consequence(missing));
        log.LogInformation("Jobs contained with cgroup {Version}: {Controllers} under {Base}", _layout.V2 ? "v2" : "v1",
            string.Join(", ", _layout.Bases.Keys.Select(c => c.ToString().ToLowerInvariant())), string.Join(", ", _layout.Bases.Values.Distinct()));
    }

    public bool Enabled => _layout.Bases.Count > 0;

    private IEnumerable<CgroupController> Missing => _layout.Missing(_options.EnforceMemory, _devices is not null);

    public CgroupLayout Layout => _layout;

    /// <summary>
    /// Takes a slot for the job's attempt, sets its limits, resets its counters and records it in the
    /// control directory; null when no cgroup can be used here. Throws when a slot cannot be set
    /// up: a job is not started uncontained where containment is expected.
    /// </summary>
    /// <param name="gpus">the node's device ids the job holds: the devices cgroup denies the others</param>
    public JobCgroup? Acquire(JobFiles files, int attempt, long memoryMb, IReadOnlyList<int> cpus, IReadOnlyCollection<int>? gpus = null)
    {
        if (!Enabled) return null;
        string slot;
        SlotSettings? known;
        SlotStart? prepared;
        lock (_gate)
        {
            slot = TakeSlot();
            _held.Add(slot);
            known = _settings.GetValueOrDefault(slot);
            prepared = _prepared.Remove(slot, out var ready) ? ready : null;
        }
        try
        {
            var dirs = _layout.Bases.ToDictionary(kv => kv.Key, kv => Path.Combine(kv.Value, slot));
            known ??= Initialize(dirs);
            var settings = Configure(dirs, known, memoryMb * 1024 * 1024, string.Join(',', cpus), resetCounters: prepared is null);
            if (_devices is not null && dirs.TryGetValue(CgroupController.Devices, out var devicesDir))
            {
                var denied = _devices.DenyAllBut(gpus ?? []);
                DeviceRules.Apply(devicesDir, known.Denied, denied);
                settings = settings with { Denied = denied };
            }
            prepared ??= CountersAtStart(dirs);
            var cgroup = new JobCgroup(slot, _layout.V2, dirs, prepared.OomKills, prepared.CpuUsec);
            files.WriteRecord("cgroup", cgroup.Record(attempt));
            lock (_gate)
            {
                _settings[slot] = settings;
                _started[files.CgroupRecordPath] = (attempt, cgroup);
            }
            return cgroup;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Win32Exception)
        {
            lock (_gate)
            {
                _held.Remove(slot);
                _settings.Remove(slot);
            }
            throw new IOException($"The job's cgroup {slot} could not be set up: {e.Message}", e);
        }
    }

    /// <summary>The files through which the spawner places the job in <paramref name="cgroup"/>.</summary>
    public CgroupPlacement Placement(JobCgroup? cgroup)
    {
        if (cgroup is null) return CgroupPlacement.None;
        var dirs = cgroup.Dirs.Values.Distinct().ToList();
        return _layout.V2
            ? new CgroupPlacement(CgroupEntry.Gate, [.. dirs.Select(d => Path.Combine(d, "cgroup.procs"))], [])
            : new CgroupPlacement(CgroupEntry.Thread, [.. dirs.Select(d => Path.Combine(d, "tasks"))],
                [.. _layout.Homes.Values.Distinct().Select(d => Path.Combine(d, "tasks"))]);
    }

    /// <summary>The cgroup the job's attempt holds: the one this process gave it, or the one its control directory records.</summary>
    public JobCgroup? Held(JobFiles files, int attempt)
    {
        if (!Enabled) return null;
        lock (_gate)
            if (_started.TryGetValue(files.CgroupRecordPath, out var known) && known.Attempt == attempt) return known.Cgroup;
        if (ReadRecord(files, attempt) is not { } cgroup) return null;
        lock (_gate)
        {
            _held.Add(cgroup.Slot);
            _started[files.CgroupRecordPath] = (attempt, cgroup);
        }
        return cgroup;
    }

    /// <summary>Gives the job's slot back; only an empty one (<paramref name="empty"/>) is lent again.</summary>
    public void Release(JobFiles files, JobCgroup cgroup, bool empty)
    {
        var prepared = empty ? PrepareForNext(cgroup.Dirs) : null;
        lock (_gate)
        {
            _started.Remove(files.CgroupRecordPath);
            _held.Remove(cgroup.Slot);
            if (!empty) return;
            _free.Enqueue(cgroup.Slot);
            if (prepared is not null) _prepared[cgroup.Slot] = prepared;
        }
    }

    /// <summary>True when the kernel killed a process of this job for exceeding its memory.</summary>
    public bool OomKilled(JobCgroup cgroup) => OomKills(cgroup.Dirs) > cgroup.OomKillsBefore;

    /// <summary>
    /// CPU time (seconds, in all and split into user and system) and peak memory (bytes) of the
    /// job's cgroup, from its start. v1: cpuacct.usage, cpuacct.usage_user and cpuacct.usage_sys
    /// (nanoseconds; all three reset when the slot is taken, unlike cpuacct.stat) and
    /// memory.max_usage_in_bytes (reset too). v2: cpu.stat (usage_usec minus the slot's count at
    /// start); a reused slot's peak and user/system split cannot be told from its earlier jobs': null then.
    /// </summary>
    public CgroupUsage Usage(JobCgroup cgroup)
    {
        if (_layout.V2)
        {
            var cpu = CpuUsec(cgroup.Dirs) is { } usec ? (usec - cgroup.CpuUsecBefore) / 1e6 : (double?)null;
            var fresh = cgroup.CpuUsecBefore == 0;
            var stat = cgroup.Dir(CgroupController.Cpuacct) is { } dir ? Path.Combine(dir, "cpu.stat") : null;
            return new CgroupUsage(cpu, fresh ? ReadLong(cgroup.Dir(CgroupController.Memory), "memory.peak") : null,
                fresh && stat is not null ? ReadKey(stat, "user_usec") / 1e6 : null, fresh && stat is not null ? ReadKey(stat, "system_usec") / 1e6 : null);
        }
        var cpuacct = cgroup.Dir(CgroupController.Cpuacct);
        return new CgroupUsage(ReadLong(cpuacct, "cpuacct.usage") / 1e9, ReadLong(cgroup.Dir(CgroupController.Memory), "memory.max_usage_in_bytes"),
            ReadLong(cpuacct, "cpuacct.usage_user") / 1e9, ReadLong(cpuacct, "cpuacct.usage_sys") / 1e9);
    }
}

/// <summary>What a job's cgroup measured: Slurm's TotalCPU (with UserCPU and SystemCPU) and MaxRSS; null where unknown.</summary>
public sealed record CgroupUsage(double? CpuSeconds, long? PeakMemoryBytes, double? UserSeconds, double? SystemSeconds);
