using System.Globalization;
using Conductor.Core.Nodes;
using Conductor.Worker.Processes.Spawning;

namespace Conductor.Worker.Processes.Cgroups;

/// <summary>
/// The v1 devices controller's rules of a job's cgroup on a GPU node: every GPU device node of the
/// node that is not the job's is denied (<c>devices.deny</c>: <c>c MAJOR:MINOR rwm</c>), everything
/// else stays allowed (the root's default). A slot is reused from job to job, so its rules are
/// reset first (<c>a</c> to <c>devices.allow</c>, which also drops the earlier denials) whenever the
/// slot's last job had other devices; a slot that already denies exactly the same set is left
/// alone, so a job without GPUs after one without GPUs costs no write. Device numbers are read
/// once, when the worker starts; a device without a device node has nothing to deny.
/// </summary>
public sealed class DeviceRules
{
    private readonly Dictionary<int, string> _rules = [];

    public DeviceRules(IReadOnlyList<NodeDevice> devices, ILogger log)
    {
        foreach (var device in devices)
        {
            if (device.Path is null) continue;
            if (Rule(device.Path) is { } rule) _rules[device.Id] = rule;
            else log.LogWarning("GPU {Id}'s path {Path} is not a character device: nothing is denied for it", device.Id, device.Path);
        }
    }

    /// <summary>Some device can be denied: the job cgroups need the devices controller.</summary>
    public bool Any => _rules.Count > 0;

    /// <summary>The rules (one per line) that deny every device except <paramref name="allowed"/>.</summary>
    public string DenyAllBut(IReadOnlyCollection<int> allowed) =>
        string.Join('\n', _rules.Where(r => !allowed.Contains(r.Key)).OrderBy(r => r.Key).Select(r => r.Value));

    /// <summary>Writes <paramref name="denied"/> to the slot's devices cgroup unless it holds them already (<paramref name="current"/>).</summary>
    public static void Apply(string dir, string? current, string denied)
    {
        if (current == denied) return;
        LibC.WriteFile(Path.Combine(dir, "devices.allow"), "a");
        foreach (var rule in denied.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            LibC.WriteFile(Path.Combine(dir, "devices.deny"), rule);
    }

    /// <summary><c>c MAJOR:MINOR rwm</c> for a character device node; null for anything else.</summary>
    internal static string? Rule(string path)
    {
        if (Mono.Unix.Native.Syscall.stat(path, out var st) != 0 || (st.st_mode & Mono.Unix.Native.FilePermissions.S_IFMT) != Mono.Unix.Native.FilePermissions.S_IFCHR)
            return null;
        var rdev = st.st_rdev;
        var major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL);
        var minor = (rdev & 0xff) | ((rdev >> 12) & ~0xffUL);
        return string.Create(CultureInfo.InvariantCulture, $"c {major}:{minor} rwm");
    }
}
