namespace Conductor.Core.Jobs;

/// <summary>
/// The directories a job's working directory and output files must stay inside, and the data
/// directory they must stay out of (its <c>jobs/</c> and <c>control/</c> hold every job's files and
/// the worker's records: a job pointed there could reach another job's directory or its own
/// control files). A path is checked as the kernel would open it: absolute, no <c>..</c> segment,
/// and with every symlink along it resolved (a link that points outside is an escape). The API
/// checks what it can see at submit; the worker checks again just before spawn, since a link may
/// appear in between (the job's own directory, its default, is the worker's to allow).
/// </summary>
public sealed class AllowedRoots(IEnumerable<string> roots, string? dataDir = null)
{
    private readonly string[] _roots = roots.Where(r => !string.IsNullOrWhiteSpace(r))
        .Select(r => RealPath.Resolve(Path.GetFullPath(r)).TrimEnd('/')).Distinct().ToArray();

    private readonly string? _dataDir = dataDir;

    public IReadOnlyList<string> Roots => _roots;

    /// <summary>
    /// Null when <paramref name="path"/> is acceptable, else why not (a sentence fragment).
    /// <paramref name="dataDir"/>: the data directory to stay out of, when not the one given at construction.
    /// </summary>
    public string? Violation(string path, string? dataDir = null)
    {
        if (!Path.IsPathRooted(path)) return "must be an absolute path";
        if (path.Split('/').Contains("..")) return "must not contain '..' segments";
        if (path.Contains('\0')) return "must not contain NUL characters";
        var real = RealPath.Resolve(path);
        if ((dataDir ?? _dataDir) is { } data && (Below(Path.GetFullPath(path), Path.GetFullPath(data)) || Below(real, RealPath.Resolve(data))))
            return $"must not be inside the data directory {Path.GetFullPath(data)} (job and control directories live there; a job's own directory is its default)";
        return Contains(real) ? null : $"must be inside one of the allowed roots ({string.Join(", ", _roots)}); it resolves to {real}";
    }

    private static bool Below(string path, string dir)
    {
        dir = dir.TrimEnd('/');
        return dir.Length == 0 || path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);
    }

    private bool Contains(string real) =>
        _roots.Any(root => root.Length == 0 ? real.StartsWith('/') : real == root || real.StartsWith(root + "/", StringComparison.Ordinal));
}

/// <summary>realpath(3) in managed code: resolves every symlink of the existing part of a path; the missing tail is kept as is.</summary>
public static class RealPath
{
    private const int MaxLinks = 40;
    private const int ENOENT = 2, ENOTDIR = 20;

    public static string Resolve(string path) => ResolveFrom("/", Path.GetFullPath(path));

    /// <summary>
    /// The same, for a path that may lie inside <paramref name="knownDir"/>, whose real path is
    /// <paramref name="knownReal"/>: only the components below it are looked at.
    /// </summary>
    public static string Resolve(string path, string knownDir, string knownReal)
    {
        var full = Path.GetFullPath(path);
        if (full == knownDir) return knownReal;
        return full.StartsWith(knownDir + "/", StringComparison.Ordinal) ? ResolveFrom(knownReal, full[(knownDir.Length + 1)..]) : ResolveFrom("/", full);
    }

    private static string ResolveFrom(string start, string relative)
    {
        var pending = new Stack<string>(relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var buffer = new byte[4096];
        var current = start;
        var links = 0;
        var missing = false; // the current directory does not exist: nothing below it does either
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                missing = false;
                continue;
            }
            var next = Path.Combine(current, part);
            var (target, gone) = missing ? (null, true) : Link(next, buffer);
            missing = gone;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"Too many levels of symbolic links in {relative}.");
            foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(p);
            if (target.StartsWith('/')) current = "/";
        }
        return current;
    }

    /// <summary>The link's target (null: not a link), and whether the path does not exist; one readlink(2).</summary>
    private static (string? Target, bool Missing) Link(string path, byte[] buffer)
    {
        var n = readlink(path, buffer, buffer.Length);
        if (n >= 0) return (System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n), false);
        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return (null, errno is ENOENT or ENOTDIR);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern nint readlink([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, byte[] buffer, nint size);
}
