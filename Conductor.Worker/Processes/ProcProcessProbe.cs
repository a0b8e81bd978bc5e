namespace Conductor.Worker.Processes;

/// <summary>Reads a process's start time from <c>/proc/&lt;pid&gt;/stat</c> and the boot id from the kernel.</summary>
public sealed class ProcProcessProbe : IProcessProbe
{
    public string BootId { get; } = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    public long? StartTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
        return ParseStartTicks(stat);
    }

    /// <summary>
    /// Field 22 of /proc/&lt;pid&gt;/stat; the command name (field 2) may hold spaces and ')'. A
    /// zombie has exited, so it counts as gone unless <paramref name="zombies"/> asks for its
    /// start time anyway (its parent, which has not reaped it yet, still knows it by it).
    /// </summary>
    public static long? ParseStartTicks(string stat, bool zombies = false)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); field 22 is fields[19].
        if (fields.Length < 20 || (fields[0] == "Z" && !zombies)) return null;
        return long.TryParse(fields[19], out var ticks) ? ticks : null;
    }
}
