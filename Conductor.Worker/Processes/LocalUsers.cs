using System.Diagnostics;
using System.Globalization;
using Conductor.Core.Accounts;
using Mono.Unix;

namespace Conductor.Worker.Processes;

/// <summary>
/// This node's side of an account's user: the local Unix user must exist with exactly the name and
/// uid of the account's <see cref="AccountUser"/> row, and is created (with a group of the same
/// name and id) when neither exists. When the name or the uid belongs to someone else here, the
/// account's jobs do not run at all: never under another user's uid.
/// </summary>
internal static class LocalUsers
{
    /// <summary>Held while a uid is chosen and its user created, so that two workers on one machine do not pick the same one.</summary>
    private const string LockPath = "/run/conductor-users.lock";

    private static readonly string UserAdd = Find("useradd"), GroupAdd = Find("groupadd");

    public static UnixUserInfo? ByName(string name) => Try(() => new UnixUserInfo(name));

    public static UnixUserInfo? ByUid(long uid) => Try(() => new UnixUserInfo(uid));

    /// <summary>Whether some local user or group already has this id (a new account's user gets uid = gid).</summary>
    public static bool IdTaken(int id) => ByUid(id) is not null || Try(() => new UnixGroupInfo(id)) is not null;

    /// <summary>The account's local user when it exists as the row says; null when neither its name nor its uid exists here.</summary>
    public static JobUser? Verify(AccountUser row)
    {
        var byName = ByName(row.UserName);
        var byUid = ByUid(row.Uid);
        if (byName is null && byUid is null) return null;
        if (byName?.UserId != row.Uid || byUid?.UserName != row.UserName)
            throw new InvalidOperationException(
                $"Account '{row.Account}' runs as {row.UserName} (uid {row.Uid}) on every node, but here " +
                $"{Describe(row.UserName, byName?.UserId)} and uid {row.Uid} is {(byUid is null ? "unused" : $"'{byUid.UserName}'")}; " +
                "its jobs do not run under another user's uid (remove or rename the local user, or fix account_users).");
        return new JobUser(byName.UserName, byName.UserId, byName.GroupId, byName.HomeDirectory);
    }

    /// <summary>Creates the account's user (and its group) unless it exists; then verifies it as <see cref="Verify"/> does.</summary>
    public static JobUser Ensure(AccountUser row)
    {
        if (Verify(row) is { } existing) return existing;
        var id = row.Uid.ToString(CultureInfo.InvariantCulture);
        var group = Try(() => new UnixGroupInfo(row.UserName));
        var gidHolder = Try(() => new UnixGroupInfo((long)row.Uid));
        if (group is null && gidHolder is null) Run(GroupAdd, "--gid", id, row.UserName);
        else if (group?.GroupId != row.Uid || gidHolder?.GroupName != row.UserName)
            throw new InvalidOperationException(
                $"Cannot create {row.UserName} (uid {row.Uid}) for account '{row.Account}': here the group {Describe(row.UserName, group?.GroupId)} " +
                $"and gid {row.Uid} is {(gidHolder is null ? "unused" : $"'{gidHolder.GroupName}'")}.");
        // No home directory (a job whose HOME does not exist gets its own job directory as HOME), no login
        // shell, no lastlog/faillog entry (sparse files sized by the highest uid).
        Run(UserAdd, "--uid", id, "--gid", id, "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--no-log-init", row.UserName);
        return Verify(row) ?? throw new InvalidOperationException($"{UserAdd} reported success but {row.UserName} does not exist.");
    }

    /// <summary>
    /// The machine-wide lock around choosing and creating users: an flock on a root-owned file in
    /// /run (taken by hand: the worker turns .NET's own file locking off).
    /// </summary>
    public static async Task<IDisposable> LockAsync(CancellationToken ct)
    {
        var file = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        var deadline = Stopwatch.StartNew();
        try
        {
            while (flock((int)file.SafeFileHandle.DangerousGetHandle(), LockExclusive | LockNonBlocking) != 0)
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(1))
                    throw new InvalidOperationException($"{LockPath} stayed locked for a minute (another worker on this machine creating users?).");
                await Task.Delay(20, ct); // another worker on this machine is creating a user: a short wait
            }
            return file; // closing it releases the lock
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private const int LockExclusive = 2, LockNonBlocking = 4;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    /// <summary>Runs a user-database tool to its end (synchronously: called on a thread of its own).</summary>
    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stderr = process.StandardError.ReadToEnd(); // ends when the tool does
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed (exit {process.ExitCode}): {stderr.Trim()}");
    }

    private static string Describe(string name, long? id) => id is { } found ? $"'{name}' is id {found}" : $"'{name}' does not exist";

    private static T? Try<T>(Func<T> lookUp) where T : class
    {
        try
        {
            return lookUp();
        }
        catch (ArgumentException)
        {
            return null; // no such user or group
        }
    }

    private static string Find(string name) =>
        new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) ?? name;
}
