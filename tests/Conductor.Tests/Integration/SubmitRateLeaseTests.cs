using System.Diagnostics;
using Conductor.Api;
using Conductor.Api.Limits;
using Conductor.Api.Messaging;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Conductor.Tests.Integration;

/// <summary>
/// API instances lease rate-limit tokens from the shared Redis bucket: together they never let
/// more through than the bucket holds plus its refill, and they lose at most a lease each.
/// </summary>
public sealed class SubmitRateLeaseTests : IDisposable
{
    private const double Rate = 1000;
    private const int Burst = 3000;
    private readonly RedisConnection _redis = new(TestEnvironment.Redis);
    // Only names the bucket: one per test run, as one installation.
    private readonly NpgsqlDataSource _scope = NpgsqlDataSource.Create(TestEnvironment.ConnectionStringFor($"lease_{Guid.NewGuid():N}"));

    private SubmitRateLimiter Instance() => new(_redis, _scope,
        Options.Create(new ApiOptions { SubmitRatePerSecond = Rate, SubmitBurst = Burst }), NullLogger<SubmitRateLimiter>.Instance);

    [Fact]
    public async Task TwoInstances_TogetherStayWithinTheBucket_AndLoseAtMostALeaseEach()
    {
        var instances = new[] { Instance(), Instance() };
        var lease = (int)Math.Min(Rate * SubmitRateLimiter.LeaseWindow.TotalSeconds, Burst / 100.0);
        var clock = Stopwatch.StartNew();
        var allowed = 0;
        for (var i = 0; i < Burst + 1000; i++)
            if (await instances[i % 2].TryTakeAsync("acct", 1) is null) allowed++;
        var refill = Rate * clock.Elapsed.TotalSeconds;

        allowed.Should().BeLessThanOrEqualTo(Burst + (int)Math.Ceiling(refill), "leases are taken from the shared bucket first");
        allowed.Should().BeGreaterThanOrEqualTo(Burst - (2 * lease), "each instance can strand at most the rest of one lease");
    }

    public void Dispose()
    {
        _redis.Dispose();
        _scope.Dispose();
    }
}
