using Microsoft.Extensions.Options;
using Mono.Unix;

namespace Conductor.Worker.Execution;

/// <summary>The unprivileged Unix user a job's process runs as.</summary>
public sealed record JobUser(string Name, long Uid, long Gid, string Home);

/// <summary>
/// Maps a job's account to the Unix user it runs as. A job never runs as root: when the worker
/// is root, every job drops to its account's user (<c>AccountUsers</c>, else <c>RunAs</c>); a
/// missing user, or one that is uid 0, fails the job SpawnError instead of running it as root.
/// When the worker is not root, jobs run as the worker's own user and nothing is dropped.
/// </summary>
public sealed class RunAsPolicy(IOptions<WorkerOptions> options)
{
    public static bool WorkerIsRoot { get; } = Mono.Unix.Native.Syscall.geteuid() == 0;

    /// <summary>
    /// How long a looked-up user is reused. A lookup reads the user database through NSS (for
    /// files, /etc/passwd several times over: about 30 system calls), per job otherwise; nscd and
    /// sssd cache users for longer than this. A missing user is looked up again every time.
    /// </summary>
    internal static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (JobUser User, long At)> _known = new();

    /// <summary>Null when the job keeps the worker's (non-root) user.</summary>
    public JobUser? For(string account) =>
        Resolve(options.Value.AccountUsers.TryGetValue(account, out var mapped) ? mapped : options.Value.RunAs, account);

    /// <summary>The user of accounts without a mapping (<c>RunAs</c>); null when jobs keep the worker's user.</summary>
    public JobUser? Default() => Resolve(options.Value.RunAs, "(default)");

    private JobUser? Resolve(string name, string account)
    {
        if (!WorkerIsRoot) return null;
        var now = Environment.TickCount64;
        if (_known.TryGetValue(name, out var known) && now - known.At < CacheFor.TotalMilliseconds) return known.User;
        var user = LookUp(name, account);
        _known[name] = (user, now);
        return user;
    }

    private static JobUser LookUp(string name, string account)
    {
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
        if (info.UserId == 0 || info.GroupId == 0)
            throw new InvalidOperationException($"Account '{account}' maps to '{name}', which is root; jobs never run as root.");
        return new JobUser(name, info.UserId, info.GroupId, info.HomeDirectory);
    }
}
