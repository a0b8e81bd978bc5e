using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Conductor.Core.Operations;
using Npgsql;
using StackExchange.Redis;

namespace Conductor.Worker.Operations;

/// <summary>
/// Reachability of the parts an operator runs: PostgreSQL (the source of truth: down is
/// CRITICAL), Redis (down only adds latency, FAULT_TOLERANCE.md: WARNING) and the API's own /health.
/// </summary>
internal static class ServiceChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<CheckResult> DatabaseAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await using var cmd = db.CreateCommand("SELECT current_setting('server_version'), to_regclass('jobs') IS NOT NULL");
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!reader.GetBoolean(1))
                return new CheckResult("database", CheckStatus.Critical, "reachable but has no Conductor schema (start the API once to migrate it)");
            return CheckResult.Ok("database", $"reachable (PostgreSQL {reader.GetString(0)}, {watch.ElapsedMilliseconds} ms)");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new CheckResult("database", CheckStatus.Critical, $"unreachable: {e.Message}");
        }
    }

    public static async Task<CheckResult> RedisAsync(string configuration, CancellationToken ct)
    {
        try
        {
            var options = ConfigurationOptions.Parse(configuration);
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = (int)Timeout.TotalMilliseconds;
            options.ConnectRetry = 1;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            var rtt = await redis.GetDatabase().PingAsync().WaitAsync(Timeout, ct);
            return CheckResult.Ok("redis", $"reachable ({rtt.TotalMilliseconds:0} ms)");
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ArgumentException)
        {
            return new CheckResult("redis", CheckStatus.Warning, $"unreachable ({e.GetType().Name}); workers fall back to polling PostgreSQL");
        }
    }

    /// <summary>healthy → OK, degraded (its Redis is down) → WARNING, 503 or no answer → CRITICAL.</summary>
    public static async Task<CheckResult> ApiAsync(string baseUrl, CancellationToken ct)
    {
        var url = baseUrl.TrimEnd('/') + "/health";
        try
        {
            using var http = new HttpClient { Timeout = Timeout };
            using var response = await http.GetAsync(url, ct);
            var status = "unknown";
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
                status = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).TryGetProperty("status", out var s) ? s.GetString() ?? status : status;
            if (!response.IsSuccessStatusCode)
                return new CheckResult("api", CheckStatus.Critical, $"{url} answered {(int)response.StatusCode} ({status})");
            return status == "healthy" ? CheckResult.Ok("api", $"{url} healthy")
                : new CheckResult("api", CheckStatus.Warning, $"{url} answered 200 but reports {status}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new CheckResult("api", CheckStatus.Critical, $"{url} unreachable: {e.Message}");
        }
    }
}
