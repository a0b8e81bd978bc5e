using System.Globalization;

namespace Conductor.Worker.Node;

/// <summary>What this machine offers: the cores this process may run on, and its memory.</summary>
public static class MachineInfo
{
    /// <summary>Core ids from /proc/self/status Cpus_allowed_list (honours a container's cpuset).</summary>
    public static IReadOnlyList<int> AllowedCores()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            if (line is not null) return ParseCpuList(line["Cpus_allowed_list:".Length..].Trim());
        }
        catch (IOException)
        {
        }
        return Enumerable.Range(0, Environment.ProcessorCount).ToList();
    }

    /// <summary>Parses a kernel cpu list such as <c>0-3,8,10-11</c>.</summary>
    public static IReadOnlyList<int> ParseCpuList(string list)
    {
        var cores = new List<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            var first = int.Parse(range[0], CultureInfo.InvariantCulture);
            var last = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : first;
            for (var c = first; c <= last; c++) cores.Add(c);
        }
        return cores;
    }

    public static long MemoryMb()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return kb / 1024;
    }
}
