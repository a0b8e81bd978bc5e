using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Conductor.Core.Files;

/// <summary>
/// The few libc calls the safe file primitives are built from (Linux x86_64/arm64, glibc ≥ 2.33,
/// kernel ≥ 5.6 for openat2). Every call works relative to a directory descriptor and never
/// follows a symbolic link unless told to.
/// </summary>
internal static class Native
{
    public const int ENOENT = 2, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ELOOP = 40, ENOTEMPTY = 39, EXDEV = 18, EINTR = 4, ENOSYS = 38;
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200, O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const ulong RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;
    private const long SYS_openat2 = 437; // x86_64 and arm64 alike (the unified syscall table)

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref OpenHow how, nuint size);

    [DllImport("libc", SetLastError = true)]
    public static extern int openat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    public static extern int mkdirat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    public static extern int unlinkat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fstatat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fstat(int fd, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    public static extern int fchown(int fd, uint uid, uint gid);

    [DllImport("libc", SetLastError = true)]
    public static extern int fchmod(int fd, uint mode);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint fdopendir(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern nint readdir(nint dir);

    [DllImport("libc", SetLastError = true)]
    public static extern int closedir(nint dir);

    [DllImport("libc")]
    public static extern uint geteuid();

    [DllImport("libc")]
    public static extern uint getegid();

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>openat2(2): the descriptor, or -1 with errno set.</summary>
    public static int OpenAt2(int dirfd, string path, int flags, uint mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = mode, Resolve = resolve };
        int fd;
        do fd = (int)syscall(SYS_openat2, dirfd, path, ref how, (nuint)Marshal.SizeOf<OpenHow>());
        while (fd < 0 && Errno == EINTR);
        return fd;
    }

    public static FileStat? Stat(int fd)
    {
        var buffer = new byte[256];
        return fstat(fd, buffer) == 0 ? FileStat.Parse(buffer) : null;
    }

    public static FileStat? StatAt(int dirfd, string name)
    {
        var buffer = new byte[256];
        return fstatat(dirfd, name, buffer, AT_SYMLINK_NOFOLLOW) == 0 ? FileStat.Parse(buffer) : null;
    }

    public static IOException Error(string what, int errno) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).") { HResult = errno };
}

/// <summary>What fstat(2) tells the primitives: type and permission bits, owner, size, modification time.</summary>
public readonly record struct FileStat(uint Mode, uint Uid, uint Gid, long Size, DateTime Modified, ulong Inode)
{
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xA000;

    public bool IsRegularFile => (Mode & S_IFMT) == S_IFREG;
    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
    public bool IsSymlink => (Mode & S_IFMT) == S_IFLNK;
    public uint Permissions => Mode & 0xFFF;

    /// <summary>struct stat as glibc lays it out on x86_64 (st_ino 8, st_mode 24, st_uid 28, st_gid 32, st_size 48, st_mtim 88).</summary>
    internal static FileStat Parse(byte[] b)
    {
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(88));
        var nanos = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(96));
        return new FileStat(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(24)), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(28)),
            BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(32)), BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(48)),
            DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100), BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(8)));
    }
}
