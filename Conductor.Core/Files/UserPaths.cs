namespace Conductor.Core.Files;

/// <summary>
/// What the worker does as root in directories a job's user may write, limited to what that user
/// could do there itself: paths are resolved with no symbolic link at any component, the
/// directory found is then used by descriptor only, and an entry is removed or a directory made
/// only where the user has write access (owner, or a world-writable directory; in a sticky one,
/// only the user's own entries).
/// </summary>
public static class UserPaths
{
    private const uint Sticky = 0x200;

    /// <summary>
    /// Removes the file at <paramref name="path"/> (a link as a link) when the user could have; true
    /// when removed. Used for the output files a previous attempt left, so a new attempt writes new ones.
    /// </summary>
    public static bool RemoveIfTheirs(string path, uint uid)
    {
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        if (name.Length == 0) return false;
        using var dir = SafeDir.OpenNoSymlinks(Path.GetDirectoryName(full)!, out _);
        if (dir is null) return false;
        if (dir.StatEntry(name) is not { IsDirectory: false } entry) return false;
        if (!MayChange(dir.Stat(), entry.Uid, uid)) return false;
        return dir.Unlink(name);
    }

    /// <summary>
    /// Makes the directory <paramref name="path"/> (and its missing parents) for the user, each new
    /// one owned by the user, where the user could have made it; the existing part must have no
    /// symbolic link. False (nothing made) where the user could not have.
    /// </summary>
    public static bool CreateDirectoryFor(string path, uint uid, uint gid)
    {
        var parts = Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = SafeDir.OpenNoSymlinks("/", out _);
        if (current is null) return false;
        try
        {
            foreach (var part in parts)
            {
                var next = current.OpenDir(part, out var errno);
                if (next is null)
                {
                    if (errno != Native.ENOENT || !MayChange(current.Stat(), uid, uid)) return false;
                    current.MakeDir(part, 0b111_000_000);
                    next = current.OpenDir(part, out _);
                    if (next is null) return false;
                    // Ours only if root made it just now: a user who raced in a directory of its own keeps it as it is.
                    if (next.Stat().Uid == Native.geteuid() && Native.geteuid() != uid) next.SetOwnerAndMode(uid, gid, 0b111_000_000);
                }
                current.Dispose();
                current = next;
            }
            return true;
        }
        finally
        {
            current.Dispose();
        }
    }

    /// <summary>Whether <paramref name="uid"/> may create or remove an entry owned by <paramref name="entryOwner"/> in a directory with these owner and bits.</summary>
    private static bool MayChange(FileStat dir, uint entryOwner, uint uid)
    {
        if (dir.Uid == uid) return (dir.Permissions & 0b011_000_000) == 0b011_000_000;
        if ((dir.Permissions & 0b000_000_011) != 0b000_000_011) return false;
        return (dir.Permissions & Sticky) == 0 || entryOwner == uid;
    }
}
