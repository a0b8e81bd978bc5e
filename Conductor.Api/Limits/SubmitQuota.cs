using System.Globalization;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Limits;

/// <summary>
/// The per-account limits checked after validation and before storing: the submission rate
/// (429 with Retry-After) and the number of PENDING jobs at once (429: it frees up as jobs
/// start). The pending count is read, not locked, and, while an account is far below the limit,
/// cached for a second (counted up by this process's own accepted submits meanwhile), so a hot
/// submit path does not count a large queue on every request; near the limit it is counted
/// exactly. Concurrent submits may still overshoot the limit by a few.
/// </summary>
internal sealed class SubmitQuota(JobStore jobs, SubmitRateLimiter rate, IOptions<ApiOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan CountFor = TimeSpan.FromSeconds(1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, long Count)> _pending = new();

    /// <summary>Null when <paramref name="count"/> more jobs of <paramref name="account"/> may be stored.</summary>
    public async Task<ProblemHttpResult?> CheckAsync(HttpContext http, string account, int count, string field, CancellationToken ct)
    {
        if (await rate.TryTakeAsync(account, count) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return TooMany(field, $"Account '{account}' submits faster than {options.Value.SubmitRatePerSecond:0.##} jobs per second " +
                                  $"(bursts up to {options.Value.SubmitBurst}); retry in {seconds} s.");
        }
        var max = options.Value.MaxPendingPerAccount;
        if (max > 0 && await PendingAsync(account, count, max, ct) + count > max)
        {
            http.Response.Headers.RetryAfter = "30";
            return TooMany(field, $"Account '{account}' already has the maximum of {max} PENDING jobs; submit more once some have started.");
        }
        if (max > 0) _pending.AddOrUpdate(account, _ => (DateTimeOffset.MinValue, 0), (_, c) => (c.At, c.Count + count));
        return null;
    }

    /// <summary>Exact near the limit; far below it, a count at most a second old is good enough.</summary>
    private async Task<long> PendingAsync(string account, int count, int max, CancellationToken ct)
    {
        if (_pending.TryGetValue(account, out var cached) && clock.GetUtcNow() - cached.At < CountFor && cached.Count + count <= max / 2)
            return cached.Count;
        var exact = await jobs.CountPendingAsync(account, ct);
        _pending[account] = (clock.GetUtcNow(), exact);
        return exact;
    }

    private static ProblemHttpResult TooMany(string field, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many jobs.",
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
