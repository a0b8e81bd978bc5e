namespace Conductor.Core.Files;

/// <summary>
/// The two directories under the data dir, held open: <c>jobs/</c>, where each job has its own
/// directory (its user's), and <c>control/</c>, where each job has a control directory only the
/// worker writes. Both belong to the worker's user (root on a real node) with mode 0711: anyone
/// may pass through to a directory whose name they know, nobody else may list, create, rename or
/// remove entries, so an entry found there is one the worker made. Every per-job operation is
/// relative to these descriptors.
/// </summary>
public sealed class DataLayout : IDisposable
{
    public const string JobsName = "jobs", ControlName = "control";
    public const uint RootMode = 0b111_001_001; // 0711

    private DataLayout(string dataDir, SafeDir jobs, SafeDir control)
    {
        DataDir = dataDir;
        Jobs = jobs;
        Control = control;
    }

    public string DataDir { get; }
    public SafeDir Jobs { get; }
    public SafeDir Control { get; }

    /// <summary>The uid everything the worker writes belongs to (root on a real node).</summary>
    public static uint WorkerUid { get; } = Native.geteuid();
    public static uint WorkerGid { get; } = Native.getegid();

    /// <summary>
    /// At worker start: creates the data dir and both directories if missing and sets their mode.
    /// Throws <see cref="InvalidOperationException"/> (the worker must not start) when either is a
    /// symbolic link, not a directory, or belongs to another user.
    /// </summary>
    public static DataLayout Prepare(string dataDir) => Open(dataDir, create: true);

    /// <summary>Opens an existing layout with the same checks, creating and changing nothing.</summary>
    public static DataLayout Open(string dataDir, bool create = false)
    {
        var full = Path.GetFullPath(dataDir);
        if (create) Directory.CreateDirectory(full); // the operator's path: trusted, links and all
        using var data = SafeDir.OpenTrusted(full);
        var jobs = Child(data, JobsName, create);
        try
        {
            return new DataLayout(full, jobs, Child(data, ControlName, create));
        }
        catch
        {
            jobs.Dispose();
            throw;
        }
    }

    private static SafeDir Child(SafeDir data, string name, bool create)
    {
        var path = Path.Combine(data.Path, name);
        if (create) data.MakeDir(name, RootMode);
        var dir = data.OpenDir(name, out var errno);
        if (dir is null)
            throw new InvalidOperationException(errno is Native.ELOOP or Native.ENOTDIR
                ? $"{path} is a symbolic link or not a directory; refusing to use it (remove it, the worker recreates it)."
                : $"{path} cannot be opened (errno {errno}).");
        var st = dir.Stat();
        if (st.Uid != WorkerUid)
        {
            dir.Dispose();
            throw new InvalidOperationException($"{path} belongs to uid {st.Uid}, not to the worker's uid {WorkerUid}; refusing to use it.");
        }
        if (create) dir.SetOwnerAndMode(WorkerUid, st.Gid, RootMode);
        return dir;
    }

    public void Dispose()
    {
        Jobs.Dispose();
        Control.Dispose();
    }
}
