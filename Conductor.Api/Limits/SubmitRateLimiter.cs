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
public sealed class SubmitRateLimiter(
    RedisConnection redis, Npgsql.NpgsqlDataSource db, IOptions<ApiOptions> options, ILogger<SubmitRateLimiter> log)
{
    // Buckets belong to one installation (its database): two installations sharing a Redis, or
    // the test suite's many databases, never drain each other's buckets.
    private readonly string _scope = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) is var b
        ? $"{b.Host}:{b.Port}/{b.Database}" : "";

    private const string Script = """
        local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
        local wait = 0
        if tokens >= cost then tokens = tokens - cost else wait = math.ceil((cost - tokens) * 1000 / rate) end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return wait
        """;

    /// <summary>Null when allowed; otherwise how long until <paramref name="cost"/> submissions would be.</summary>
    public async Task<TimeSpan?> TryTakeAsync(string account, int cost)
    {
        var o = options.Value;
        if (o.SubmitRatePerSecond <= 0) return null;
        if (cost > o.SubmitBurst) return TimeSpan.FromSeconds(Math.Ceiling(cost / o.SubmitRatePerSecond));
        try
        {
            if (!redis.IsConnected) return null;
            var wait = (long)await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(Script,
                [new RedisKey($"conductor:rate:submit:{_scope}:{account}")], [o.SubmitRatePerSecond, o.SubmitBurst, cost]);
            return wait > 0 ? TimeSpan.FromMilliseconds(wait) : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            log.LogDebug("Rate limit not checked, Redis unavailable ({Error}); allowing the submission", e.Message);
            return null;
        }
    }
}
