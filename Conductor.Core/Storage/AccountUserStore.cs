using Conductor.Core.Accounts;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>
/// The account → Unix user map (<c>account_users</c>), shared by every node. A row is written once,
/// when the account's first job starts anywhere, and never changes; the table's unique
/// constraints (account, uid, user name) decide a race between nodes allocating at once.
/// </summary>
public sealed class AccountUserStore(NpgsqlDataSource db)
{
    /// <summary>How many times an allocation moves on to another uid before it gives up.</summary>
    private const int MaxAttempts = 64;

    public async Task<AccountUser?> FindAsync(string account, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("SELECT account, uid, user_name, created_at FROM account_users WHERE account = @a",
            P("a", NpgsqlDbType.Varchar, account));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new AccountUser { Account = r.GetString(0), Uid = r.GetInt32(1), UserName = r.GetString(2), CreatedAt = r.GetDateTime(3) } : null;
    }

    /// <summary>
    /// The account's row, inserting one if there is none: with <paramref name="preferred"/> when that
    /// uid is in the range and still free, else with the lowest uid of <paramref name="range"/> that no
    /// account has and <paramref name="takenHere"/> does not refuse (a uid some local user or group
    /// already has). When another node inserted first, its row wins.
    /// </summary>
    /// <exception cref="InvalidOperationException">The range is exhausted, or the user name belongs to another account.</exception>
    public async Task<AccountUser> GetOrAllocateAsync(string account, string userName, UidRange range, int? preferred,
        Func<int, bool> takenHere, CancellationToken ct)
    {
        var skip = new HashSet<int>();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await FindAsync(account, ct) is { } existing) return existing;
            var taken = await TakenAsync(range, ct);
            taken.UnionWith(skip);
            var uid = preferred is { } p && range.Contains(p) && !taken.Contains(p) ? p : Lowest(range, taken, takenHere)
                ?? throw new InvalidOperationException($"No uid of UidRange {range} is left for account '{account}'.");
            if (await TryInsertAsync(account, uid, userName, ct) is { } inserted) return inserted;
            // Someone else was first: with this account (found next time round), this uid (try the
            // next one), or this user name, which only a different account can hold.
            if (await OwnerOfNameAsync(userName, ct) is { } owner && owner != account)
                throw new InvalidOperationException($"The Unix user name {userName} derived from account '{account}' already belongs to account '{owner}'.");
            skip.Add(uid);
            if (uid == preferred) preferred = null;
        }
        throw new InvalidOperationException($"Could not allocate a uid for account '{account}' after {MaxAttempts} attempts.");
    }

    private static int? Lowest(UidRange range, HashSet<int> taken, Func<int, bool> takenHere)
    {
        for (var uid = range.First; uid <= range.Last; uid++)
            if (!taken.Contains(uid) && !takenHere(uid)) return uid;
        return null;
    }

    private async Task<HashSet<int>> TakenAsync(UidRange range, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("SELECT uid FROM account_users WHERE uid BETWEEN @f AND @l",
            P("f", NpgsqlDbType.Integer, range.First), P("l", NpgsqlDbType.Integer, range.Last));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var taken = new HashSet<int>();
        while (await r.ReadAsync(ct)) taken.Add(r.GetInt32(0));
        return taken;
    }

    private async Task<AccountUser?> TryInsertAsync(string account, int uid, string userName, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            INSERT INTO account_users (account, uid, user_name, created_at) VALUES (@a, @u, @n, now())
            ON CONFLICT DO NOTHING RETURNING created_at
            """,
            P("a", NpgsqlDbType.Varchar, account), P("u", NpgsqlDbType.Integer, uid), P("n", NpgsqlDbType.Varchar, userName));
        var created = await cmd.ExecuteScalarAsync(ct);
        return created is DateTime at ? new AccountUser { Account = account, Uid = uid, UserName = userName, CreatedAt = at } : null;
    }

    private async Task<string?> OwnerOfNameAsync(string userName, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("SELECT account FROM account_users WHERE user_name = @n", P("n", NpgsqlDbType.Varchar, userName));
        return await cmd.ExecuteScalarAsync(ct) as string;
    }
}
