using Conductor.Api.Messaging;
using Conductor.Core.Scheduling;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Conductor.Tests.Integration;

/// <summary>Submit wake-ups are coalesced per partition, yet every submit is followed by one.</summary>
public sealed class WakeUpCoalescingTests : IAsyncLifetime
{
    private readonly string _partition = $"coalesce-{Guid.NewGuid():N}";
    private readonly RedisConnection _redis = new(TestEnvironment.Redis);
    private ConnectionMultiplexer _listener = null!;
    private int _received;

    public async Task InitializeAsync()
    {
        _listener = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        await _listener.GetSubscriber().SubscribeAsync(RedisChannel.Literal(WakeUpChannels.Submitted), (_, message) =>
        {
            if (message == _partition) Interlocked.Increment(ref _received);
        });
        await Eventually.Until(() => _redis.IsConnected, TimeSpan.FromSeconds(10), "the publisher connects to Redis");
    }

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task ABurstOfSubmits_CostsFewerMessagesThanJobs_AndALaterSubmitStillWakesTheWorkers()
    {
        var publisher = new WakeUpPublisher(_redis, NullLogger<WakeUpPublisher>.Instance);
        const int burst = 8 * 500;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < burst / 8; i++) publisher.Submitted(_partition);
        })));
        await Eventually.Until(() => Volatile.Read(ref _received) > 0, TimeSpan.FromSeconds(10), "the burst wakes the workers");
        Volatile.Read(ref _received).Should().BeLessThan(burst, "submits that find a wake-up queued share it");

        // The burst's wake-ups may still be on their way; wait for them to settle, then submit once more.
        var settled = await Eventually.Until(async () =>
        {
            var before = Volatile.Read(ref _received);
            await Task.Delay(200);
            return (Before: before, After: Volatile.Read(ref _received));
        }, r => r.Before == r.After, TimeSpan.FromSeconds(10), "the burst's wake-ups have arrived");
        publisher.Submitted(_partition);
        await Eventually.Until(() => Volatile.Read(ref _received) > settled.After, TimeSpan.FromSeconds(10),
            "a submit after the burst gets a wake-up of its own");
    }
}
