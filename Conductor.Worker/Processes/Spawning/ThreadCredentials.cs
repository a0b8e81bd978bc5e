using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// Switches the credentials of the calling thread only, around one posix_spawn: the spawner stays
/// root and serves every job user, and a job never shares a uid with it.
///
/// glibc's setresuid/setgroups apply to every thread of the process (a signal broadcast); the raw
/// system calls change the calling thread alone, which is what is wanted here: the spawner's main
/// thread (the one kill(2) and ptrace are checked against) and its reaper stay root all along.
/// The thread keeps saved uid and gid 0 while it is the job's user, so it can come back; the child
/// loses them at exec (exec makes the saved ids the effective ones), and its capabilities are
/// cleared at exec since none of its uids is 0. The child is forked from this thread, so it
/// inherits exactly these credentials, this thread's no_new_privs and its cgroups.
/// </summary>
internal static class ThreadCredentials
{
    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")] private static extern long Syscall3(long number, long a1, long a2, long a3);
    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")] private static extern long SyscallGroups(long number, long size, uint[] list);

    private static readonly (long SetGroups, long SetResGid, long SetResUid) Numbers = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => (116, 119, 117),
        Architecture.Arm64 => (159, 149, 147),
        var other => throw new PlatformNotSupportedException($"No system call numbers for {other}."),
    };

    /// <summary>The spawner's own supplementary groups, restored after each switch.</summary>
    private static readonly uint[] OwnGroups = ReadOwnGroups();

    /// <summary>
    /// Becomes uid/gid (groups: only gid) on this thread, keeping saved ids 0; never root. On failure
    /// the thread is root again before the exception leaves.
    /// </summary>
    public static void Become(uint uid, uint gid)
    {
        if (uid == 0 || gid == 0) throw new ArgumentException($"Refusing to spawn a job as uid {uid} gid {gid}: jobs never run as root.");
        try
        {
            Check(SyscallGroups(Numbers.SetGroups, 1, [gid]), "setgroups");
            Check(Syscall3(Numbers.SetResGid, gid, gid, 0), $"setresgid {gid}");
            Check(Syscall3(Numbers.SetResUid, uid, uid, 0), $"setresuid {uid}");
        }
        catch
        {
            Restore();
            throw;
        }
    }

    /// <summary>Back to root on this thread. A thread that cannot come back must not spawn again: the process ends.</summary>
    public static void Restore()
    {
        try
        {
            Check(Syscall3(Numbers.SetResUid, 0, 0, 0), "setresuid 0");
            Check(Syscall3(Numbers.SetResGid, 0, 0, 0), "setresgid 0");
            Check(SyscallGroups(Numbers.SetGroups, OwnGroups.Length, OwnGroups), "setgroups");
        }
        catch (Win32Exception e)
        {
            Environment.FailFast($"The spawner could not return to root after a spawn: {e.Message}");
        }
    }

    private static void Check(long result, string what)
    {
        if (result == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        throw new Win32Exception(errno, $"{what}: {new Win32Exception(errno).Message}");
    }

    private static uint[] ReadOwnGroups()
    {
        foreach (var line in File.ReadLines("/proc/thread-self/status"))
            if (line.StartsWith("Groups:", StringComparison.Ordinal))
                return line[7..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(g => uint.Parse(g, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return [];
    }
}
