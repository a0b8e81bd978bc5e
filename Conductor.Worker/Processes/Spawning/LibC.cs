using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// The few libc calls the spawner needs that .NET does not offer: posix_spawn with a new session
/// (the job's pid is its process group and session id), the calling thread's CPU affinity (the
/// child inherits it), a non-reaping wait for any child, and small writes to cgroup files.
/// Linux/glibc only, like the rest of the worker.
/// </summary>
internal static class LibC
{
    private const string Lib = "libc";

    // glibc <spawn.h>
    private const short PosixSpawnSetSigDef = 0x04;
    private const short PosixSpawnSetSigMask = 0x08;
    private const short PosixSpawnSetSid = 0x80;

    // Generous sizes for the opaque glibc structs (posix_spawnattr_t is 336 bytes, the file
    // actions 80, sigset_t 128 on x86-64 and arm64).
    private const int AttrSize = 1024;
    private const int FileActionsSize = 512;
    private const int SigSetSize = 256;
    private const int CpuSetSize = 128; // cpu_set_t: 1024 CPUs

    private const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OAppend = 0x400;
    private const int OCloExec = 0x80000, ONoFollow = 0x20000;
    private const int PrSetNoNewPrivs = 38, PrSetDumpable = 4;
    private const int PAll = 0, WExited = 4, WNoWait = 0x01000000;

    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawnattr_init(nint attr);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawnattr_destroy(nint attr);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawnattr_setflags(nint attr, short flags);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawnattr_setsigmask(nint attr, nint set);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawnattr_setsigdefault(nint attr, nint set);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawn_file_actions_init(nint actions);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawn_file_actions_destroy(nint actions);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawn_file_actions_addopen(nint actions, int fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawn_file_actions_addchdir_np(nint actions, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawn(out int pid, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint actions, nint attr, nint[] argv, nint[] envp);
    [DllImport(Lib, SetLastError = true)] private static extern int sigemptyset(nint set);
    [DllImport(Lib, SetLastError = true)] private static extern int sigfillset(nint set);
    [DllImport(Lib, SetLastError = true)] private static extern int sched_setaffinity(int pid, nint size, byte[] mask);
    [DllImport(Lib, SetLastError = true)] private static extern int waitid(int idtype, int id, byte[] info, int options);
    [DllImport(Lib, SetLastError = true)] private static extern int waitpid(int pid, out int status, int options);
    [DllImport(Lib, SetLastError = true)] private static extern int posix_spawn_file_actions_adddup2(nint actions, int fd, int newfd);
    [DllImport(Lib, SetLastError = true)] private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [DllImport(Lib, SetLastError = true)] private static extern uint geteuid();
    [DllImport(Lib, SetLastError = true)] private static extern int pipe2(int[] fds, int flags);
    [DllImport(Lib, SetLastError = true, EntryPoint = "open")] private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);
    [DllImport(Lib, SetLastError = true, EntryPoint = "write")] private static extern nint Write(int fd, byte[] buffer, nint count);
    [DllImport(Lib, SetLastError = true, EntryPoint = "close")] private static extern int CloseFd(int fd);

    /// <summary>
    /// Starts <paramref name="path"/> in a new session with exactly <paramref name="env"/>, every
    /// signal at its default disposition and none blocked (the runtime ignores SIGPIPE, which
    /// must not reach the job), stdin from /dev/null, stdout and stderr appended to
    /// <paramref name="log"/>, in <paramref name="cwd"/>. No fork of this process's memory and no
    /// exec other than the program itself. A <paramref name="gate"/> other than -1 becomes the
    /// child's fd 3 (the wrapper waits on it until the spawner has placed it in its cgroup).
    /// </summary>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, string cwd, string log, int gate = -1)
    {
        var attr = Marshal.AllocHGlobal(AttrSize);
        var actions = Marshal.AllocHGlobal(FileActionsSize);
        var mask = Marshal.AllocHGlobal(SigSetSize);
        var defaults = Marshal.AllocHGlobal(SigSetSize);
        var argvp = ToCStrings(argv);
        var envp = ToCStrings(env);
        try
        {
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            try
            {
                Check(sigemptyset(mask) == 0 ? 0 : Marshal.GetLastPInvokeError(), "sigemptyset");
                Check(sigfillset(defaults) == 0 ? 0 : Marshal.GetLastPInvokeError(), "sigfillset");
                // sigfillset leaves out glibc's two internal signals (32, 33), and posix_spawn then
                // sets them to SIG_IGN in the child, which would outlive the exec: reset them too
                // (bits 31 and 32 of the first word of the kernel's signal set).
                Marshal.WriteInt64(defaults, Marshal.ReadInt64(defaults) | (1L << 31) | (1L << 32));
                Check(posix_spawnattr_setsigmask(attr, mask), "posix_spawnattr_setsigmask");
                Check(posix_spawnattr_setsigdefault(attr, defaults), "posix_spawnattr_setsigdefault");
                Check(posix_spawnattr_setflags(attr, PosixSpawnSetSid | PosixSpawnSetSigDef | PosixSpawnSetSigMask), "posix_spawnattr_setflags");
                Check(posix_spawn_file_actions_addchdir_np(actions, cwd), "posix_spawn_file_actions_addchdir_np");
                Check(posix_spawn_file_actions_addopen(actions, 0, "/dev/null", ORdOnly, 0), "posix_spawn_file_actions_addopen");
                Check(posix_spawn_file_actions_addopen(actions, 1, log, OWrOnly | OCreat | OAppend, 0b110_000_000), "posix_spawn_file_actions_addopen");
                Check(posix_spawn_file_actions_addopen(actions, 2, log, OWrOnly | OCreat | OAppend, 0b110_000_000), "posix_spawn_file_actions_addopen");
                if (gate >= 0) Check(posix_spawn_file_actions_adddup2(actions, gate, 3), "posix_spawn_file_actions_adddup2");
                Check(posix_spawn(out var pid, path, actions, attr, argvp, envp), $"posix_spawn {path}");
                return pid;
            }
            finally
            {
                posix_spawn_file_actions_destroy(actions);
                posix_spawnattr_destroy(attr);
            }
        }
        finally
        {
            Free(argvp);
            Free(envp);
            Marshal.FreeHGlobal(defaults);
            Marshal.FreeHGlobal(mask);
            Marshal.FreeHGlobal(actions);
            Marshal.FreeHGlobal(attr);
        }
    }

    /// <summary>Pins the calling thread to <paramref name="cpus"/>; a child it spawns inherits the mask.</summary>
    public static void SetThreadAffinity(IReadOnlyList<int> cpus)
    {
        var mask = new byte[CpuSetSize];
        foreach (var cpu in cpus)
        {
            if (cpu < 0 || cpu >= CpuSetSize * 8) throw new ArgumentOutOfRangeException(nameof(cpus), cpu, "No such CPU.");
            mask[cpu / 8] |= (byte)(1 << (cpu % 8));
        }
        if (sched_setaffinity(0, CpuSetSize, mask) != 0) throw Error($"sched_setaffinity {string.Join(',', cpus)}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport(Lib, SetLastError = true)] private static extern int clock_gettime(int clock, out TimeSpec time);
    [DllImport(Lib, SetLastError = true)] private static extern long sysconf(int name);

    private const int ClockBootTime = 7, ScClkTck = 2;
    private static readonly long NanosecondsPerTick = 1_000_000_000 / sysconf(ScClkTck);

    /// <summary>
    /// The time since boot in clock ticks, the unit and clock of a process's start time in
    /// /proc/&lt;pid&gt;/stat (field 22: the kernel's boot-time clock at fork, rounded down to
    /// whole ticks).
    /// </summary>
    public static long BootTimeTicks()
    {
        if (clock_gettime(ClockBootTime, out var now) != 0) throw Error("clock_gettime");
        return (now.Seconds * 1_000_000_000 + now.Nanoseconds) / NanosecondsPerTick;
    }

    /// <summary>
    /// Blocks until some child has exited and returns its pid without reaping it (it stays a
    /// zombie, so its /proc entry and pid cannot be reused until <see cref="Reap"/>); null when
    /// there are no children.
    /// </summary>
    public static int? WaitAnyExited()
    {
        var info = new byte[128]; // siginfo_t; si_pid is at offset 16 on Linux
        while (true)
        {
            if (waitid(PAll, 0, info, WExited | WNoWait) == 0) return BitConverter.ToInt32(info, 16);
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR) continue;
            if (errno == Errno.ECHILD) return null;
            throw new Win32Exception(errno, "waitid");
        }
    }

    /// <summary>Reaps the exited child <paramref name="pid"/>; its status as bash reports it (128+n for signal n).</summary>
    public static int Reap(int pid)
    {
        while (true)
        {
            if (waitpid(pid, out var status, 0) == pid)
            {
                var signal = status & 0x7f;
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new Win32Exception(errno, $"waitpid {pid}");
        }
    }

    /// <summary>no_new_privs for the calling thread and everything it spawns.</summary>
    public static void ForbidNewPrivileges()
    {
        if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0) throw Error("prctl(PR_SET_NO_NEW_PRIVS)");
    }

    /// <summary>Makes this process non-dumpable: no core dump, and no ptrace by a process of the same uid.</summary>
    public static void ForbidDumps()
    {
        if (prctl(PrSetDumpable, 0, 0, 0, 0) != 0) throw Error("prctl(PR_SET_DUMPABLE)");
    }

    public static bool IsRoot => geteuid() == 0;

    /// <summary>A pipe whose two ends are closed on exec (a dup2 in the child clears that for the copy).</summary>
    public static (int Read, int Write) Pipe()
    {
        var fds = new int[2];
        if (pipe2(fds, OCloExec) != 0) throw Error("pipe2");
        return (fds[0], fds[1]);
    }

    /// <summary>Writes <paramref name="text"/> to an existing file in one open, write and close (a cgroup file).</summary>
    public static void WriteFile(string path, string text)
    {
        var fd = OpenForWriting(path);
        try
        {
            WriteAll(fd, text, path);
        }
        finally
        {
            CloseFd(fd);
        }
    }

    /// <summary>Opens an existing file for writing, close-on-exec, not through a symbolic link.</summary>
    public static int OpenForWriting(string path)
    {
        var fd = Open(path, OWrOnly | OCloExec | ONoFollow, 0);
        return fd >= 0 ? fd : throw Error($"open {path}");
    }

    public static void WriteAll(int fd, string text, string what)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        if (Write(fd, bytes, bytes.Length) != bytes.Length) throw Error($"write {what}");
    }

    public static void Close(int fd) => CloseFd(fd);

    private static void Check(int result, string what)
    {
        // posix_spawn* return the error number instead of setting errno.
        if (result != 0) throw new Win32Exception(result, $"{what}: {new Win32Exception(result).Message}");
    }

    private static Win32Exception Error(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what}: {new Win32Exception(errno).Message}");
    }

    private static nint[] ToCStrings(IReadOnlyList<string> values)
    {
        var result = new nint[values.Count + 1];
        for (var i = 0; i < values.Count; i++) result[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
        return result;
    }

    private static void Free(nint[] strings)
    {
        foreach (var p in strings)
            if (p != 0) Marshal.FreeCoTaskMem(p);
    }

    private static class Errno
    {
        public const int EINTR = 4;
        public const int ECHILD = 10;
    }
}
