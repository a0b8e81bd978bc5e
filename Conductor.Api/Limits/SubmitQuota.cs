using System.Globalization;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Limits;

/// <summary>
/// The per-account limits checked after validation and before storing: the submission rate
/// (429 with Retry-After) and the number of PENDING jobs at once (429: it frees up as jobs
/// start). The pending count is read, not locked: concurrent submits may overshoot it by a few.
/// </summary>
internal sealed class SubmitQuota(JobStore jobs, SubmitRateLimiter rate, IOptions<ApiOptions> options)
{
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
        if (max > 0 && await jobs.CountPendingAsync(account, ct) + count > max)
        {
            http.Response.Headers.RetryAfter = "30";
            return TooMany(field, $"Account '{account}' already has the maximum of {max} PENDING jobs; submit more once some have started.");
        }
        return null;
    }

    private static ProblemHttpResult TooMany(string field, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many jobs.",
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
