using System.Collections.Concurrent;
using Conductor.Core.Accounts;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Mono.Unix;
using Mono.Unix.Native;

namespace Conductor.Worker.Processes;

/// <summary>
/// Maps a job's account to the Unix user it runs as. On a root worker: the user named in
/// <c>AccountUsers</c>; else, by default, the account's own user (<see cref="JobUsers.PerAccount"/>:
/// its uid comes from <c>account_users</c>, allocated from <c>UidRange</c> on first use, and the local
/// user is created to match); or <c>RunAs</c> for everyone (<see cref="JobUsers.Shared"/>). A job
/// never shares a uid with root or the worker: such a user, a missing one, or one whose name or uid
/// belongs to someone else here fails the job SpawnError instead. When the worker is not root,
/// jobs run as the worker's own user and nothing is dropped (nor are accounts kept apart).
/// </summary>
public sealed class RunAsPolicy(IOptions<WorkerOptions> options, AccountUserStore accounts, StoreRetry retry, ILogger<RunAsPolicy> log)
{
    public static bool WorkerIsRoot { get; } = Syscall.geteuid() == 0;

    /// <summary>
    /// How long a looked-up user is reused. A lookup reads the user database through NSS (for
    /// files, /etc/passwd several times over: about 30 system calls), per job otherwise; nscd and
    /// sssd cache users for longer than this. A missing user is looked up again every time.
    /// An account's row never changes once written, so it is read from the database once.
    /// </summary>
    internal static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    /// <summary>Validated when the worker starts (the policy is built with the dispatcher): a bad range stops it there.</summary>
    public UidRange Range { get; } = UidRange.Parse(options.Value.UidRange);

    private readonly ConcurrentDictionary<string, (JobUser User, long At)> _named = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (JobUser User, long At)> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccountUser> _rows = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slow = new(1, 1);

    /// <summary>
    /// Null when the job keeps the worker's (non-root) user. Completes synchronously in the common
    /// case (a dictionary hit); the first job of an account on this node reads or allocates its row.
    /// </summary>
    /// <exception cref="InvalidOperationException">The job must not run: no usable user.</exception>
    public ValueTask<JobUser?> ForAsync(string account, CancellationToken ct)
    {
        if (!WorkerIsRoot) return ValueTask.FromResult<JobUser?>(null);
        var settings = options.Value;
        if (settings.AccountUsers.TryGetValue(account, out var mapped)) return ValueTask.FromResult<JobUser?>(Named(mapped, account));
        if (settings.Users == JobUsers.Shared) return ValueTask.FromResult<JobUser?>(Named(settings.RunAs, account));
        return Fresh(_accounts, account) is { } known ? ValueTask.FromResult<JobUser?>(known) : PerAccountAsync(account, ct);
    }

    /// <summary>One line for the worker's start: who jobs run as.</summary>
    public string Describe() => options.Value.Users == JobUsers.Shared
        ? $"every account's jobs run as {options.Value.RunAs} (Users=Shared: accounts are not kept apart)"
        : $"each account's jobs run as its own Unix user, uids {Range}";

    private JobUser Named(string name, string account)
    {
        var now = Environment.TickCount64;
        if (Fresh(_named, name, now) is { } known) return known;
        UnixUserInfo info;
        try
        {
            info = new UnixUserInfo(name);
        }
        catch (ArgumentException)
        {
            throw new InvalidOperationException(
                $"The Unix user '{name}' that account '{account}' runs as does not exist (create it: useradd --system --no-create-home --shell /usr/sbin/nologin {name}).");
        }
        var user = Checked(new JobUser(name, info.UserId, info.GroupId, info.HomeDirectory), account);
        _named[name] = (user, now);
        return user;
    }

    private async ValueTask<JobUser?> PerAccountAsync(string account, CancellationToken ct)
    {
        await _slow.WaitAsync(ct);
        try
        {
            if (Fresh(_accounts, account) is { } known) return known; // resolved while we waited
            var row = _rows.TryGetValue(account, out var cached) ? cached : await FindAsync(account);
            if (row is not null) _rows[account] = row;
            // The user database is read (and useradd run) on a thread of its own: the caller may be
            // a socket completion (the worker runs those inline), which must never wait on a process.
            var user = (row is null ? null : await Task.Run(() => LocalUsers.Verify(Checked(row)), ct)) ?? await CreateAsync(account, ct);
            _accounts[account] = (Checked(user, account), Environment.TickCount64);
            return user;
        }
        finally
        {
            _slow.Release();
        }
    }

    /// <summary>Allocates the account's row if no node has yet, and creates the local user, under the machine-wide lock.</summary>
    private async Task<JobUser> CreateAsync(string account, CancellationToken ct)
    {
        using var machine = await LocalUsers.LockAsync(ct);
        var row = await FindAsync(account); // another worker on this machine may have been first
        if (row is null)
        {
            var name = AccountUserName.For(account);
            // A local user of that name from an earlier life of the cluster keeps its uid, when free.
            int? earlier = LocalUsers.ByName(name) is { } local && Range.Contains(local.UserId) ? (int)local.UserId : null;
            row = await retry.RunAsync($"allocate a uid for account {account}",
                c => accounts.GetOrAllocateAsync(account, name, Range, earlier, LocalUsers.IdTaken, c));
            log.LogInformation("Account {Account} runs as Unix user {User} (uid {Uid})", account, row.UserName, row.Uid);
        }
        var user = await Task.Run(() => LocalUsers.Ensure(Checked(row)), ct);
        _rows[account] = row;
        return user;
    }

    private Task<AccountUser?> FindAsync(string account) =>
        retry.RunAsync($"look up the Unix user of account {account}", c => accounts.FindAsync(account, c));

    /// <summary>A row from the database is trusted only inside this node's range: never root, a system user or the worker.</summary>
    private AccountUser Checked(AccountUser row)
    {
        if (!Range.Contains(row.Uid))
            throw new InvalidOperationException(
                $"Account '{row.Account}' is stored as uid {row.Uid} ({row.UserName}), outside this node's UidRange {Range}; its jobs do not run here.");
        return row;
    }

    private static JobUser Checked(JobUser user, string account)
    {
        if (user.Uid == 0 || user.Gid == 0)
            throw new InvalidOperationException($"Account '{account}' maps to '{user.Name}', which is root; jobs never run as root.");
        if (user.Uid == Syscall.getuid() || user.Uid == Syscall.geteuid())
            throw new InvalidOperationException($"Account '{account}' maps to '{user.Name}' (uid {user.Uid}), the worker's own user; jobs never share it.");
        return user;
    }

    private static JobUser? Fresh(ConcurrentDictionary<string, (JobUser User, long At)> cache, string key, long? now = null) =>
        cache.TryGetValue(key, out var known) && (now ?? Environment.TickCount64) - known.At < CacheFor.TotalMilliseconds ? known.User : null;
}
