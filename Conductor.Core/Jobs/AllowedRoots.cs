namespace Conductor.Core.Jobs;

/// <summary>
/// The directories a job's working directory and output files must stay inside. A path is
/// checked as the kernel would open it: absolute, no <c>..</c> segment, and with every symlink
/// along it resolved (a link that points outside is an escape). The API checks what it can see
/// at submit; the worker checks again just before spawn, since a link may appear in between.
/// </summary>
public sealed class AllowedRoots(IEnumerable<string> roots)
{
    private readonly string[] _roots = roots.Where(r => !string.IsNullOrWhiteSpace(r))
        .Select(r => RealPath.Resolve(Path.GetFullPath(r)).TrimEnd('/')).Distinct().ToArray();

    public IReadOnlyList<string> Roots => _roots;

    /// <summary>Null when <paramref name="path"/> is acceptable, else why not (a sentence fragment).</summary>
    public string? Violation(string path)
    {
        if (!Path.IsPathRooted(path)) return "must be an absolute path";
        if (path.Split('/').Contains("..")) return "must not contain '..' segments";
        if (path.Contains('\0')) return "must not contain NUL characters";
        var real = RealPath.Resolve(path);
        return Contains(real) ? null : $"must be inside one of the allowed roots ({string.Join(", ", _roots)}); it resolves to {real}";
    }

    private bool Contains(string real) =>
        _roots.Any(root => root.Length == 0 ? real.StartsWith('/') : real == root || real.StartsWith(root + "/", StringComparison.Ordinal));
}

/// <summary>realpath(3) in managed code: resolves every symlink of the existing part of a path; the missing tail is kept as is.</summary>
public static class RealPath
{
    private const int MaxLinks = 40;

    public static string Resolve(string path)
    {
        var pending = new Stack<string>(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = "/";
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Combine(current, part);
            var target = Link(next);
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"Too many levels of symbolic links in {path}.");
            foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(p);
            if (target.StartsWith('/')) current = "/";
        }
        return current;
    }

    private static string? Link(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
