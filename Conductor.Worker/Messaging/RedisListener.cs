using Conductor.Core.Scheduling;
using StackExchange.Redis;

namespace Conductor.Worker.Messaging;

/// <summary>
/// Subscribes to the API's wake-ups. Redis may be down at start or go away later: the
/// multiplexer reconnects in the background and restores the subscriptions by itself, and
/// until then the dispatch loop polls PostgreSQL. Nothing is ever only in Redis.
/// </summary>
public sealed class RedisListener(string configuration, WakeUps wakeUps, ILogger<RedisListener> log) : WorkerService
{
    private ConnectionMultiplexer? _mux;

    public bool IsConnected => _mux?.IsConnected == true;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        options.ConnectRetry = 1;
        _mux = await ConnectionMultiplexer.ConnectAsync(options);
        _mux.ConnectionFailed += (_, e) =>
        {
            log.LogWarning("Redis connection lost ({Failure}); polling PostgreSQL", e.FailureType);
            wakeUps.Wake(); // the dispatcher may be in a long Redis-era wait: switch to polling now
        };
        _mux.ConnectionRestored += (_, _) =>
        {
            log.LogInformation("Redis connection restored; wake-ups resume");
            wakeUps.CancelHint(); // anything announced while we were away: look now
        };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var sub = _mux.GetSubscriber();
                await sub.SubscribeAsync(RedisChannel.Literal(WakeUpChannels.Submitted), (_, _) => wakeUps.Wake());
                await sub.SubscribeAsync(RedisChannel.Literal(WakeUpChannels.Cancel), (_, _) => wakeUps.CancelHint());
                log.LogInformation("Subscribed to Redis wake-ups");
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                log.LogDebug("Redis not reachable yet: {Error}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    public override void Dispose()
    {
        _mux?.Dispose();
        base.Dispose();
    }
}
