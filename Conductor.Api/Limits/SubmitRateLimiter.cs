using System.Collections.Concurrent;
using System.Diagnostics;
using Conductor.Api.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Conductor.Api.Limits;

/// <summary>
/// Per-account submission rate limit: a token bucket in Redis, refilled at
/// <see cref="ApiOptions.SubmitRatePerSecond"/> up to <see cref="ApiOptions.SubmitBurst"/>,
/// taken and refilled in one Lua script on Redis' own clock, so every API instance shares one
/// bucket per account. Redis only ever adds a limit: when it is down or slow, submissions are
/// allowed (DESIGN: losing Redis may only add latency, never stop work).
/// </summary>
/// <remarks>
/// An instance takes tokens from the shared bucket in small leases and hands them out locally,
/// so a stream of submits costs one Redis round trip per lease instead of one per submit. A
/// lease is at most what the bucket refills in <see cref="LeaseWindow"/> (50 tokens at the
/// default 5,000/s, never more than 1 % of the burst), and its unused tokens are dropped after
/// <see cref="LeaseLifetime"/>. Leased tokens are taken from the shared bucket first, so the
/// instances together never exceed the limit; at worst an account reaches it by the worth of
/// one lease (10 ms of refill) early. A bucket refilled slower than one token per window leases
/// single tokens: each submit asks Redis, exactly as without leases.
/// </remarks>
public sealed class SubmitRateLimiter(
    RedisConnection redis, Npgsql.NpgsqlDataSource db, IOptions<ApiOptions> options, ILogger<SubmitRateLimiter> log)
{
    public static readonly TimeSpan LeaseWindow = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(1);
    private const int MaxAccounts = 10_000;

    // Buckets belong to one installation (its database): two installations sharing a Redis, or
    // the test suite's many databases, never drain each other's buckets.
    private readonly string _scope = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) is var b
        ? $"{b.Host}:{b.Port}/{b.Database}" : "";

    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    // Takes cost tokens, plus up to ARGV[4] more as a lease while the bucket has them; answers
    // {granted, 0}, or {0, ms until cost tokens are there}.
    private const string Script = """
        local rate, burst, cost, extra = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
        local granted, wait = 0, 0
        if tokens >= cost then
            granted = cost + math.max(0, math.min(extra, math.floor(tokens - cost)))
            tokens = tokens - granted
        else
            wait = math.ceil((cost - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return {granted, wait}
        """;

    /// <summary>
    /// Tokens this instance holds for one account, usable until <see cref="Until"/> (a Stopwatch
    /// timestamp). One lease request per account is in flight at a time (<see cref="Fetching"/>);
    /// submits meanwhile ask Redis for their own tokens only, so leases never pile up.
    /// </summary>
    private sealed class Lease
    {
        public long Tokens;
        public long Until;
        public int Fetching;

        public bool TryTake(int cost)
        {
            lock (this)
            {
                if (Tokens < cost || Stopwatch.GetTimestamp() > Until) return false;
                Tokens -= cost;
                return true;
            }
        }

        public void Add(long tokens)
        {
            var now = Stopwatch.GetTimestamp();
            lock (this)
            {
                // An expired lease's leftovers are not revived by the new one.
                Tokens = (now > Until ? 0 : Tokens) + tokens;
                Until = now + (long)(LeaseLifetime.TotalSeconds * Stopwatch.Frequency);
            }
        }
    }

    /// <summary>Null when allowed; otherwise how long until <paramref name="cost"/> submissions would be.</summary>
    public async Task<TimeSpan?> TryTakeAsync(string account, int cost)
    {
        var o = options.Value;
        if (o.SubmitRatePerSecond <= 0) return null;
        if (cost > o.SubmitBurst) return TimeSpan.FromSeconds(Math.Ceiling(cost / o.SubmitRatePerSecond));
        var extra = (long)Math.Min(o.SubmitRatePerSecond * LeaseWindow.TotalSeconds, o.SubmitBurst / 100.0);
        var lease = extra > 0 ? LeaseOf(account) : null;
        if (lease is not null && lease.TryTake(cost)) return null;
        var fetching = lease is not null && Interlocked.CompareExchange(ref lease.Fetching, 1, 0) == 0;
        try
        {
            if (!redis.IsConnected) return null;
            var answer = (RedisResult[])(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(Script,
                [new RedisKey($"conductor:rate:submit:{_scope}:{account}")], [o.SubmitRatePerSecond, o.SubmitBurst, cost, fetching ? extra : 0]))!;
            var (granted, wait) = ((long)answer[0], (long)answer[1]);
            if (granted == 0) return wait > 0 ? TimeSpan.FromMilliseconds(wait) : null;
            if (granted > cost) lease!.Add(granted - cost);
            return null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            log.LogDebug("Rate limit not checked, Redis unavailable ({Error}); allowing the submission", e.Message);
            return null;
        }
        finally
        {
            if (fetching) Volatile.Write(ref lease!.Fetching, 0);
        }
    }

    private Lease LeaseOf(string account)
    {
        if (_leases.TryGetValue(account, out var lease)) return lease;
        // Account names come from requests: past a sane number, start over (only leases are lost).
        if (_leases.Count >= MaxAccounts) _leases.Clear();
        return _leases.GetOrAdd(account, _ => new Lease());
    }
}
