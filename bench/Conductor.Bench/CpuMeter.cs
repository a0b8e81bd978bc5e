using System.Diagnostics;

namespace Conductor.Bench;

/// <summary>
/// CPU time (user + system) spent by each part of the stack during a scenario, read from /proc:
/// the API, the worker itself, the jobs it started (its reaped children), PostgreSQL (the
/// postmaster, its live backends and the ones that exited), Redis and this benchmark client.
/// </summary>
public sealed class CpuMeter
{
    private static readonly double TickMs = 1000.0 / 100; // USER_HZ is 100 on Linux
    private readonly Stack _stack;
    private readonly Dictionary<string, double> _start;

    private CpuMeter(Stack stack)
    {
        _stack = stack;
        _start = Read();
    }

    public static CpuMeter Start(Stack stack) => new(stack);

    /// <summary>Milliseconds of CPU per part since <see cref="Start"/>.</summary>
    public Dictionary<string, double> Stop()
    {
        var end = Read();
        return end.ToDictionary(kv => kv.Key, kv => kv.Value - _start.GetValueOrDefault(kv.Key));
    }

    private Dictionary<string, double> Read()
    {
        var parts = new Dictionary<string, double>();
        if (_stack.Api is { } api) parts["api"] = Self(api.Id);
        if (_stack.Worker is { HasExited: false } worker)
        {
            parts["worker"] = Self(worker.Id);
            // The spawner processes themselves (the worker's live children) apart from the jobs
            // they started and reaped.
            var spawners = LiveChildren(worker.Id).Sum(Self);
            parts["spawner"] = spawners;
            parts["jobs"] = Children(worker.Id) - spawners;
        }
        if (PidFile("BENCH_PG_DIR", "postmaster.pid") is { } postmaster) parts["postgres"] = Self(postmaster) + Children(postmaster);
        if (PidFile("BENCH_REDIS_DIR", "redis.pid") is { } redis) parts["redis"] = Self(redis);
        parts["client"] = Self(Environment.ProcessId);
        return parts;
    }

    private static int? PidFile(string variable, string name)
    {
        var dir = Environment.GetEnvironmentVariable(variable);
        var path = dir is null ? null : Path.Combine(dir, name);
        return path is not null && File.Exists(path) && int.TryParse(File.ReadLines(path).First().Trim(), out var pid) ? pid : null;
    }

    /// <summary>utime + stime of the process itself.</summary>
    private static double Self(int pid) => Fields(pid) is { } f ? (f[11] + f[12]) * TickMs : 0;

    /// <summary>
    /// CPU of all its descendants: the children it reaped (cutime + cstime, which include what
    /// they had reaped) plus, for each live child, its own CPU and its descendants' (a spawner's
    /// jobs are the worker's grandchildren).
    /// </summary>
    private static double Children(int pid)
    {
        var total = Fields(pid) is { } f ? (f[13] + f[14]) * TickMs : 0;
        foreach (var child in LiveChildren(pid))
            total += Self(child) + Children(child);
        return total;
    }

    public static IEnumerable<int> LiveChildren(int pid)
    {
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks)) yield break;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            string children;
            try
            {
                children = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                continue;
            }
            foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                yield return int.Parse(child, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The numeric fields of /proc/PID/stat after the command name: [0] state (0), [1] ppid, ... [11] utime.</summary>
    private static long[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest.Select(s => long.TryParse(s, out var v) ? v : 0).ToArray();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
