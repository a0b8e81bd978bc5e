using Conductor.Core.Operations;
using Conductor.Worker.Processes.Cgroups;

namespace Conductor.Worker.Operations;

/// <summary>
/// What a worker on this host can enforce on its jobs: whether accounts are kept apart (only a root
/// worker can), and each cgroup controller a job's cgroup needs (memory, cpuset, pids, freezer,
/// cpuacct) that is missing or not writable, a WARNING naming what then goes unenforced, as the
/// worker itself logs at start.
/// </summary>
internal static class ContainmentChecks
{
    public static IEnumerable<CheckResult> All(WorkerOptions worker) => [JobIsolation(worker), .. Cgroups(worker)];

    /// <summary>
    /// Whether the worker can keep accounts apart: only as root can it run each account's jobs as
    /// that account's user. Who the worker runs as shows in the owner of the job directories'
    /// parent, which it creates (<c>&lt;data&gt;/jobs</c>); before its first job, this check's own user stands in.
    /// </summary>
    public static CheckResult JobIsolation(WorkerOptions worker)
    {
        var jobs = Path.Combine(Path.GetFullPath(worker.DataDir), Conductor.Core.Files.DataLayout.JobsName);
        var (uid, evidence) = Mono.Unix.Native.Syscall.stat(jobs, out var st) == 0
            ? ((long)st.st_uid, $"{jobs} belongs to uid {st.st_uid}")
            : (Mono.Unix.Native.Syscall.geteuid(), $"this check runs as uid {Mono.Unix.Native.Syscall.geteuid()}");
        if (uid != 0)
            return new CheckResult("job_isolation", CheckStatus.Warning,
                $"the worker does not run as root ({evidence}): every account's jobs run as the worker's own user and can read, write and kill each other's");
        return worker.Users == JobUsers.Shared
            ? CheckResult.Ok("job_isolation", $"every account's jobs run as {worker.RunAs} (Users=Shared, as configured)")
            : CheckResult.Ok("job_isolation", $"each account's jobs run as its own Unix user (uids {worker.UidRange})");
    }

    public static IEnumerable<CheckResult> Cgroups(WorkerOptions worker)
    {
        var devices = GpuDeviceNodes(worker);
        return Cgroups(CgroupLayout.Locate(create: false, memory: worker.EnforceMemory, devices: devices), worker.EnforceMemory, devices);
    }

    /// <summary>Whether this node's GPUs have device nodes, which a job's cgroup must deny to other jobs.</summary>
    private static bool GpuDeviceNodes(WorkerOptions worker)
    {
        try
        {
            return Node.DeviceDetection.Find(worker.Gpus).Devices.Any(d => d.Path is not null);
        }
        catch (FormatException)
        {
            return false; // the worker itself refuses to start with it
        }
    }

    internal static IEnumerable<CheckResult> Cgroups(CgroupLayout layout, bool memory, bool devices = false)
    {
        var missing = layout.Missing(memory, devices).ToList();
        if (missing.Count == 0)
        {
            yield return CheckResult.Ok("cgroups", $"cgroup {(layout.V2 ? "v2" : "v1")}: {string.Join(", ", layout.Bases.Keys.Select(Name))} under {string.Join(", ", layout.Bases.Values.Distinct())}");
            yield break;
        }
        foreach (var controller in missing)
            yield return new CheckResult($"cgroup_{Name(controller)}", CheckStatus.Warning,
                $"the {Name(controller)} cgroup controller is missing or not writable: {CgroupLayout.Consequence(controller)}");
    }

    private static string Name(CgroupController c) => c.ToString().ToLowerInvariant();
}
