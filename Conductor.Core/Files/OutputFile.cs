using Microsoft.Win32.SafeHandles;

namespace Conductor.Core.Files;

/// <summary>An output file opened for serving, with what fstat said of it.</summary>
public sealed record OpenedOutput(SafeFileHandle Handle, FileStat Stat) : IDisposable
{
    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// Opens a job's output file for the API, which runs with more rights than the job: only a
/// regular file owned by the uid the job ran as, reached with no symbolic link at any component
/// (openat2 RESOLVE_NO_SYMLINKS from /). Where the path begins with a trusted root whose own path
/// has links (a data dir configured through one), the root is opened as the operator named it and
/// the rest resolved RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS below it. Anything else reads as nothing,
/// with the reason, so a job cannot make the API read a file the job itself could not have written.
/// </summary>
public static class OutputFile
{
    /// <summary>The reason given when the job never started (no uid known): nothing of it is served.</summary>
    public const string NotStarted = "the job has not run yet";

    /// <summary>The file, or null with why not (null reason: the file simply does not exist yet).</summary>
    public static OpenedOutput? Open(string? path, int? uid, IReadOnlyList<string> trustedRoots, out string? why)
    {
        why = null;
        if (string.IsNullOrEmpty(path)) return null;
        if (uid is not { } owner)
        {
            why = NotStarted;
            return null;
        }
        if (!Path.IsPathRooted(path) || path.Contains('\0'))
        {
            why = "the output path is not absolute";
            return null;
        }
        var handle = OpenNoLinks(Path.GetFullPath(path), trustedRoots, out var errno);
        if (handle is null)
        {
            why = errno switch
            {
                Native.ENOENT => null,
                Native.ELOOP or Native.EXDEV => "withheld: a symbolic link is on the output file's path",
                Native.ENOTDIR => "withheld: a component of the output file's path is not a directory",
                _ => $"withheld: the output file cannot be opened (errno {errno})",
            };
            return null;
        }
        var st = Native.Stat((int)handle.DangerousGetHandle());
        if (st is not { IsRegularFile: true } s || s.Uid != (uint)owner)
        {
            handle.Dispose();
            why = st is { IsRegularFile: false } ? "withheld: the output is not a regular file" : "withheld: the output file does not belong to the job's user";
            return null;
        }
        return new OpenedOutput(handle, s);
    }

    private static SafeFileHandle? OpenNoLinks(string path, IReadOnlyList<string> trustedRoots, out int errno)
    {
        const int flags = Native.O_RDONLY | Native.O_NONBLOCK | Native.O_NOFOLLOW | Native.O_CLOEXEC;
        const ulong noLinks = Native.RESOLVE_NO_SYMLINKS | Native.RESOLVE_NO_MAGICLINKS;
        var fd = Native.OpenAt2(Native.AT_FDCWD, path, flags, 0, noLinks);
        errno = fd < 0 ? Native.Errno : 0;
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        if (errno != Native.ELOOP) return null;
        // Perhaps the link is the operator's, in a trusted root's own path: resolve below the root only.
        foreach (var root in trustedRoots.Select(r => Path.GetFullPath(r).TrimEnd('/')).Where(r => r.Length > 0))
        {
            if (!path.StartsWith(root + "/", StringComparison.Ordinal)) continue;
            SafeDir dir;
            try
            {
                dir = SafeDir.OpenTrusted(root);
            }
            catch (IOException)
            {
                continue;
            }
            using (dir)
            {
                var file = dir.OpenFile(path[(root.Length + 1)..], Native.O_RDONLY | Native.O_NONBLOCK, 0, out errno);
                if (file is not null || errno != Native.ELOOP) return file;
            }
        }
        errno = Native.ELOOP;
        return null;
    }
}
