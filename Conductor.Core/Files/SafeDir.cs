using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Conductor.Core.Files;

/// <summary>
/// An open directory (O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC) and what may be done below it without
/// ever following a symbolic link: every name given to it is one path component (or, for
/// <see cref="OpenFile"/>, a path resolved with openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so
/// whatever a job renames or links in the meantime, the calls act on this directory's entries
/// and nothing outside. chown and chmod go through descriptors (fchown, fchmod), never paths.
/// </summary>
public sealed class SafeDir : IDisposable
{
    private const int DirFlags = Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC;
    private int _fd;

    private SafeDir(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The path this directory was opened by, for messages only (it may have moved since).</summary>
    public string Path { get; }

    internal int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(Path);

    /// <summary>
    /// Opens a trusted directory the operator configured (the data dir, an allowed root): links
    /// along its path are the operator's and are followed, but not in its last component.
    /// </summary>
    public static SafeDir OpenTrusted(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var fd = Native.openat(Native.AT_FDCWD, full, DirFlags, 0);
        return fd >= 0 ? new SafeDir(fd, full) : throw Native.Error($"Could not open directory {full}", Native.Errno);
    }

    /// <summary>Opens an absolute path with no symbolic link at any component (openat2 RESOLVE_NO_SYMLINKS); null when there is none such.</summary>
    public static SafeDir? OpenNoSymlinks(string path, out int errno)
    {
        var fd = Native.OpenAt2(Native.AT_FDCWD, path, DirFlags, 0, Native.RESOLVE_NO_SYMLINKS | Native.RESOLVE_NO_MAGICLINKS);
        errno = fd < 0 ? Native.Errno : 0;
        return fd >= 0 ? new SafeDir(fd, path) : null;
    }

    /// <summary>Opens the directory <paramref name="relative"/> below this one, no link followed; null (with errno) when it cannot be.</summary>
    public SafeDir? OpenDir(string relative, out int errno)
    {
        var fd = Native.OpenAt2(Fd, relative, DirFlags, 0, Native.RESOLVE_BENEATH | Native.RESOLVE_NO_SYMLINKS | Native.RESOLVE_NO_MAGICLINKS);
        errno = fd < 0 ? Native.Errno : 0;
        return fd >= 0 ? new SafeDir(fd, System.IO.Path.Combine(Path, relative)) : null;
    }

    /// <summary>mkdirat; false when the entry already exists (whatever it is).</summary>
    public bool MakeDir(string name, uint mode)
    {
        if (Native.mkdirat(Fd, name, mode) == 0) return true;
        var errno = Native.Errno;
        return errno == Native.EEXIST ? false : throw Native.Error($"Could not create {System.IO.Path.Combine(Path, name)}", errno);
    }

    /// <summary>Opens a file below this directory, no link followed at any component; null (with errno) when it cannot be.</summary>
    public SafeFileHandle? OpenFile(string relative, int flags, uint mode, out int errno)
    {
        var fd = Native.OpenAt2(Fd, relative, flags | Native.O_NOFOLLOW | Native.O_CLOEXEC, mode,
            Native.RESOLVE_BENEATH | Native.RESOLVE_NO_SYMLINKS | Native.RESOLVE_NO_MAGICLINKS);
        errno = fd < 0 ? Native.Errno : 0;
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
    }

    /// <summary>Creates <paramref name="name"/> anew (whatever was there is unlinked first) and writes <paramref name="text"/>; owner and mode set through the descriptor.</summary>
    public void WriteNewFile(string name, string text, uint mode, (uint Uid, uint Gid)? owner = null)
    {
        Unlink(name);
        using var file = OpenFile(name, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, mode, out var errno)
                         ?? throw Native.Error($"Could not create {System.IO.Path.Combine(Path, name)}", errno);
        var fd = (int)file.DangerousGetHandle();
        if (owner is { } o && Native.fchown(fd, o.Uid, o.Gid) != 0) throw Native.Error($"Could not chown {name}", Native.Errno);
        if (Native.fchmod(fd, mode) != 0) throw Native.Error($"Could not chmod {name}", Native.Errno); // the umask may have taken bits
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var done = 0; done < bytes.Length;)
        {
            var n = Native.write(fd, done == 0 ? bytes : bytes[done..], bytes.Length - done);
            if (n < 0) throw Native.Error($"Could not write {name}", Native.Errno);
            done += (int)n;
        }
    }

    /// <summary>Reads a small file below this directory if it is a regular file owned by <paramref name="uid"/>; null otherwise.</summary>
    public string? ReadOwnedFile(string relative, uint uid, int maxBytes = 4096)
    {
        using var file = OpenFile(relative, Native.O_RDONLY | Native.O_NONBLOCK, 0, out _);
        if (file is null) return null;
        var fd = (int)file.DangerousGetHandle();
        if (Native.Stat(fd) is not { IsRegularFile: true } st || st.Uid != uid) return null;
        var buffer = new byte[maxBytes];
        var n = Native.read(fd, buffer, buffer.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    public FileStat Stat() => Native.Stat(Fd) ?? throw Native.Error($"Could not stat {Path}", Native.Errno);

    /// <summary>lstat of one entry; null when it does not exist.</summary>
    public FileStat? StatEntry(string name) => Native.StatAt(Fd, name);

    /// <summary>fchown and fchmod of this directory itself, each only when it differs.</summary>
    public void SetOwnerAndMode(uint uid, uint gid, uint mode)
    {
        var st = Stat();
        if ((st.Uid != uid || st.Gid != gid) && Native.fchown(Fd, uid, gid) != 0) throw Native.Error($"Could not chown {Path}", Native.Errno);
        if (st.Permissions != mode && Native.fchmod(Fd, mode) != 0) throw Native.Error($"Could not chmod {Path}", Native.Errno);
    }

    /// <summary>Unlinks one entry that is not a directory (a link is removed itself, never its target); false when it did not exist.</summary>
    public bool Unlink(string name)
    {
        if (Native.unlinkat(Fd, name, 0) == 0) return true;
        var errno = Native.Errno;
        return errno == Native.ENOENT ? false : throw Native.Error($"Could not remove {System.IO.Path.Combine(Path, name)}", errno);
    }

    /// <summary>Removes one entry and, if it is a directory, everything below it (see <see cref="TreeDelete"/>); false when it did not exist.</summary>
    public bool DeleteTree(string name) => TreeDelete.Delete(this, name);

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Native.close(fd);
    }
}
