namespace Conductor.Worker.Processes;

/// <summary>
/// Absolute paths of the programs the worker starts, found once on the worker's own PATH. A
/// job's environment must never choose them: resolving by name there would let a job's PATH
/// pick the binary that starts it.
/// </summary>
public static class Tools
{
    public static string Setsid { get; } = Find("setsid");
    public static string Bash { get; } = Find("bash");

    private static string Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
        return dirs.Where(Path.IsPathRooted).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) ?? name;
    }
}
