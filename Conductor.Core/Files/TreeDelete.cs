using System.Runtime.InteropServices;

namespace Conductor.Core.Files;

/// <summary>
/// Recursive delete that never leaves the tree it was given: each directory is opened relative
/// to its parent's descriptor with O_DIRECTORY|O_NOFOLLOW, its entries are read from that
/// descriptor and removed with unlinkat relative to it. A symbolic link anywhere in the tree is
/// removed as a link; what it points to is never looked at. An entry swapped for a link or a file
/// between the listing and the removal is removed as what it has become.
/// </summary>
internal static class TreeDelete
{
    private const byte DT_DIR = 4, DT_UNKNOWN = 0;
    private const int MaxDepth = 256;

    public static bool Delete(SafeDir parent, string name, int depth = 0)
    {
        if (Native.unlinkat(parent.Fd, name, 0) == 0) return true;
        var errno = Native.Errno;
        if (errno == Native.ENOENT) return false;
        if (errno != Native.EISDIR && errno != 1 /* EPERM: unlink(2) of a directory on Linux */)
            throw Native.Error($"Could not remove {Path.Combine(parent.Path, name)}", errno);
        if (depth > MaxDepth) throw new IOException($"{Path.Combine(parent.Path, name)} is nested too deep to remove.");
        using (var dir = parent.OpenDir(name, out errno))
        {
            if (dir is null)
            {
                if (errno == Native.ENOENT) return false;
                // No longer a directory (a link or file now): remove it as such.
                return errno is Native.ENOTDIR or Native.ELOOP ? parent.Unlink(name) : throw Native.Error($"Could not open {name}", errno);
            }
            foreach (var (entry, type) in List(dir))
            {
                if (type is DT_DIR or DT_UNKNOWN) Delete(dir, entry, depth + 1);
                else dir.Unlink(entry);
            }
        }
        if (Native.unlinkat(parent.Fd, name, Native.AT_REMOVEDIR) == 0) return true;
        errno = Native.Errno;
        return errno == Native.ENOENT ? true : throw Native.Error($"Could not remove directory {Path.Combine(parent.Path, name)}", errno);
    }

    /// <summary>The entries of a directory (without . and ..), read through a duplicate of its descriptor.</summary>
    private static List<(string Name, byte Type)> List(SafeDir dir)
    {
        var fd = Native.dup(dir.Fd);
        if (fd < 0) throw Native.Error($"Could not read {dir.Path}", Native.Errno);
        var stream = Native.fdopendir(fd);
        if (stream == 0)
        {
            Native.close(fd);
            throw Native.Error($"Could not read {dir.Path}", Native.Errno);
        }
        var entries = new List<(string, byte)>();
        try
        {
            nint entry;
            // struct dirent (glibc, 64-bit): d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name.
            while ((entry = Native.readdir(stream)) != 0)
            {
                var name = Marshal.PtrToStringUTF8(entry + 19)!;
                if (name is not ("." or "..")) entries.Add((name, Marshal.ReadByte(entry + 18)));
            }
        }
        finally
        {
            Native.closedir(stream);
        }
        return entries;
    }
}
