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

    /// <summary>Signal delivery is asynchronous: give the kernel a moment to finish them off.</summary>
    public static Task WaitAllGoneAsync(IEnumerable<int> pids, string because) =>
        Eventually.Until(() => pids.All(p => !IsAlive(p)), TimeSpan.FromSeconds(5), because);
}
