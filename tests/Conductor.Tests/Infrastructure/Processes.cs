namespace Conductor.Tests.Infrastructure;

public static class Processes
{
    /// <summary>Alive = present in /proc and not a zombie (an exited process nobody reaped yet).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    /// <summary>The parent of a live process (field 4 of /proc/PID/stat).</summary>
    public static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The command line of a live process, its arguments joined by spaces.</summary>
    public static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    /// <summary>Signal delivery is asynchronous: give the kernel a moment to finish them off.</summary>
    public static Task WaitAllGoneAsync(IEnumerable<int> pids, string because) =>
        Eventually.Until(() => pids.All(p => !IsAlive(p)), TimeSpan.FromSeconds(5), because);
}
