namespace Conductor.Worker.Processes.Cgroups;

/// <summary>
/// The controllers a job's cgroup is made of (on cgroup v2, freezer means cgroup.kill and cpuacct
/// cpu.stat). Devices (v1 only) is used on a node whose GPUs have device nodes, and only there.
/// </summary>
public enum CgroupController { Memory, Cpuset, Pids, Freezer, Cpuacct, Devices }

/// <summary>
/// Where this worker's job cgroups live: for each controller, <c>conductor-jobs/</c> under the
/// worker's own cgroup in that controller's hierarchy (cgroup v1, found from /proc/self/cgroup and
/// /proc/self/mountinfo), or one <c>conductor-jobs/</c> for all of them on cgroup v2. A controller
/// that is not mounted, not delegated or not writable is missing: what it would enforce is not
/// enforced, which the worker logs at start and health-check reports as WARNING.
/// </summary>
public sealed class CgroupLayout
{
    public const string BaseName = "conductor-jobs";

    /// <summary>The controllers every job's cgroup wants; <see cref="CgroupController.Devices"/> joins them on a GPU node.</summary>
    public static readonly IReadOnlyList<CgroupController> All = [.. Enum.GetValues<CgroupController>().Where(c => c != CgroupController.Devices)];

    public bool V2 { get; private init; }

    /// <summary>Controller → its <c>conductor-jobs</c> directory (on v2 the same one for all).</summary>
    public IReadOnlyDictionary<CgroupController, string> Bases { get; private init; } = new Dictionary<CgroupController, string>();

    /// <summary>v1: controller → the worker's own cgroup directory, where the spawner's thread returns after a spawn.</summary>
    public IReadOnlyDictionary<CgroupController, string> Homes { get; private init; } = new Dictionary<CgroupController, string>();

    public IEnumerable<CgroupController> Missing(bool memory = true, bool devices = false) =>
        Wanted(memory, devices).Where(c => !Bases.ContainsKey(c));

    private static List<CgroupController> Wanted(bool memory, bool devices) =>
        [.. All.Where(c => memory || c != CgroupController.Memory), .. devices ? [CgroupController.Devices] : Array.Empty<CgroupController>()];

    /// <summary>What goes unenforced without <paramref name="controller"/>.</summary>
    public static string Consequence(CgroupController controller) => controller switch
    {
        CgroupController.Memory => "job memory is reserved but not enforced",
        CgroupController.Cpuset => "jobs are pinned to their cores by CPU affinity only, which a job can change",
        CgroupController.Pids => "the number of a job's processes is not limited (fork bombs)",
        CgroupController.Freezer => "a job's processes are killed without being frozen first, so a fast-forking job may outrun the kill",
        CgroupController.Devices => "GPUs are assigned through CUDA_VISIBLE_DEVICES only: a job can open the node's other GPU device nodes (on cgroup v2 this needs a BPF device program, which Conductor does not install)",
        _ => "the CPU time of jobs is not recorded",
    };

    /// <summary>
    /// Finds (and with <paramref name="create"/>, creates) the job cgroup bases. Without create, as
    /// health-check does, a controller counts when its base exists or could be made.
    /// </summary>
    public static CgroupLayout Locate(bool create, bool memory = true, bool devices = false)
    {
        try
        {
            return Locate(File.ReadAllLines("/proc/self/cgroup"), File.ReadAllLines("/proc/self/mountinfo"), create, memory, devices);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CgroupLayout();
        }
    }

    /// <summary>The same from given /proc/self/cgroup and /proc/self/mountinfo lines.</summary>
    internal static CgroupLayout Locate(string[] cgroupLines, string[] mountLines, bool create, bool memory, bool devices = false)
    {
        try
        {
            var own = cgroupLines.Select(l => l.Split(':', 3)).Where(p => p.Length == 3).ToList();
            var mounts = mountLines.Select(Mount.Parse).OfType<Mount>().ToList();
            var wanted = Wanted(memory, devices);
            var v1 = LocateV1(own, mounts, wanted, create);
            if (v1.Bases.Count > 0 || mounts.Any(m => m.Type == "cgroup" && wanted.Any(c => m.Options.Contains(Name(c))))) return v1;
            return LocateV2(own, mounts, wanted, create);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CgroupLayout();
        }
    }

    private static CgroupLayout LocateV1(List<string[]> own, List<Mount> mounts, List<CgroupController> wanted, bool create)
    {
        var bases = new Dictionary<CgroupController, string>();
        var homes = new Dictionary<CgroupController, string>();
        foreach (var c in wanted)
        {
            var name = Name(c);
            var path = own.FirstOrDefault(p => p[1].Split(',').Contains(name))?[2];
            var mount = mounts.FirstOrDefault(m => m.Type == "cgroup" && m.Options.Contains(name));
            if (path is null || mount is null || mount.Relative(path) is not { } home) continue;
            var dir = Path.Combine(home, BaseName);
            if (!Usable(dir, home, create)) continue;
            if (c == CgroupController.Cpuset && create) InheritCpuset(dir, home);
            bases[c] = dir;
            homes[c] = home;
        }
        return new CgroupLayout { Bases = bases, Homes = homes };
    }

    private static CgroupLayout LocateV2(List<string[]> own, List<Mount> mounts, List<CgroupController> wanted, bool create)
    {
        var path = own.FirstOrDefault(p => p[0] == "0" && p[1] == "")?[2];
        var mount = mounts.FirstOrDefault(m => m.Type == "cgroup2");
        if (path is null || mount?.Relative(path) is not { } home) return new CgroupLayout { V2 = true };
        var dir = Path.Combine(home, BaseName);
        if (!Usable(dir, home, create)) return new CgroupLayout { V2 = true };
        if (create)
            foreach (var c in new[] { "memory", "cpuset", "pids" })
                TryWrite(Path.Combine(dir, "cgroup.subtree_control"), "+" + c);
        var enabled = File.Exists(Path.Combine(dir, "cgroup.subtree_control"))
            ? File.ReadAllText(Path.Combine(dir, "cgroup.subtree_control")).Split(' ', '\n')
            : [];
        var bases = new Dictionary<CgroupController, string>();
        foreach (var c in wanted)
        {
            var present = c switch
            {
                CgroupController.Freezer => File.Exists(Path.Combine(dir, "cgroup.kill")),
                CgroupController.Cpuacct => true, // cpu.stat is always there
                CgroupController.Devices => false, // v2 controls devices with a BPF program only
                _ => create ? enabled.Contains(Name(c)) : true,
            };
            if (present) bases[c] = dir;
        }
        return new CgroupLayout { V2 = true, Bases = bases };
    }

    private static string Name(CgroupController c) => c.ToString().ToLowerInvariant();

    private static bool Usable(string dir, string parent, bool create)
    {
        // A base another user made (a root worker earlier, then this one started unprivileged) exists but takes no slots from us.
        static bool Writable(string path) => Mono.Unix.Native.Syscall.access(path, Mono.Unix.Native.AccessModes.W_OK) == 0;
        if (!create) return Directory.Exists(dir) ? Writable(dir) : Writable(parent);
        try
        {
            Directory.CreateDirectory(dir);
            return Writable(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A v1 cpuset takes no task until it has CPUs and memory nodes: the base gets its parent's.</summary>
    private static void InheritCpuset(string dir, string parent)
    {
        foreach (var file in new[] { "cpuset.mems", "cpuset.cpus" })
            if (File.ReadAllText(Path.Combine(dir, file)).Trim().Length == 0)
                TryWrite(Path.Combine(dir, file), File.ReadAllText(Path.Combine(parent, file)).Trim());
    }

    internal static void TryWrite(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>One line of /proc/self/mountinfo: mount root, mount point, file system type, super options.</summary>
    private sealed record Mount(string Root, string Point, string Type, string[] Options)
    {
        public static Mount? Parse(string line)
        {
            var halves = line.Split(" - ", 2);
            if (halves.Length != 2) return null;
            var left = halves[0].Split(' ');
            var right = halves[1].Split(' ');
            return left.Length < 5 || right.Length < 3 ? null : new Mount(left[3], left[4], right[0], right[2].Split(','));
        }

        /// <summary>The directory of cgroup <paramref name="path"/> under this mount; null when the mount does not show it.</summary>
        public string? Relative(string path)
        {
            if (Root == "/") return Point + path.TrimEnd('/');
            return path == Root || path.StartsWith(Root + "/", StringComparison.Ordinal) ? Point + path[Root.Length..].TrimEnd('/') : null;
        }
    }
}
