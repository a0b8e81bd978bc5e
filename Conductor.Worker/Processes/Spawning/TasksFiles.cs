using System.ComponentModel;

namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// The v1 <c>tasks</c> files the spawning thread moves itself through, held open between spawns:
/// the spawner's own cgroups and the slots' (which are reused from job to job). Opening and closing
/// each file per move cost as much CPU as the move itself (about 180 µs per job for six hierarchies
/// in and out, 94 µs with the files kept open, measured on cgroup v1 here). Each is opened as
/// before (no link followed, close-on-exec, so a job never inherits one); a file whose cgroup was
/// removed since fails its write and is opened again once. Used by the spawning thread alone.
/// </summary>
internal static class TasksFiles
{
    private static readonly Dictionary<string, int> Open = new(StringComparer.Ordinal);

    /// <summary>Moves the calling thread into the cgroup of <paramref name="path"/> (writes 0 to it).</summary>
    public static void Join(string path)
    {
        if (Open.TryGetValue(path, out var fd))
        {
            try
            {
                LibC.WriteAll(fd, "0", path);
                return;
            }
            catch (Win32Exception)
            {
                Open.Remove(path); // the cgroup was removed (and perhaps made again): open it anew
                LibC.Close(fd);
            }
        }
        fd = LibC.OpenForWriting(path);
        try
        {
            LibC.WriteAll(fd, "0", path);
        }
        catch
        {
            LibC.Close(fd);
            throw;
        }
        Open[path] = fd;
    }
}
