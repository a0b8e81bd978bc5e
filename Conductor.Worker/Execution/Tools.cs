namespace Conductor.Worker.Execution;

/// <summary>
/// Absolute paths of the spawn chain's tools, found once on the worker's own PATH. The chain
/// runs with the job's environment; resolving by name there would let a job's PATH pick the
/// binary that runs as root before privileges are dropped.
/// </summary>
public static class Tools
{
    public static string Setsid { get; } = Find("setsid");
    public static string Setpriv { get; } = Find("setpriv");
    public static string Taskset { get; } = Find("taskset");
    public static string Bash { get; } = Find("bash");

    private static string Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
        return dirs.Where(Path.IsPathRooted).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) ?? name;
    }
}
