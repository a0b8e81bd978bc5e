using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Conductor.Core.Scheduling;
using StackExchange.Redis;

namespace Conductor.Api.Messaging;

/// <summary>
/// Tells workers to look at the database now. Fire-and-forget: the job is already stored, so
/// with Redis down the message is simply lost and workers find the work on their next poll.
/// </summary>
/// <remarks>
/// Submit wake-ups are coalesced per partition: a submit that finds one already queued (not yet
/// sent) publishes nothing, because the queued one goes out after this submit's commit and so
/// wakes workers who will see its job. Group-committed submits are answered together, so a
/// burst costs Redis a few messages instead of one per job, and never delays one.
/// </remarks>
public sealed class WakeUpPublisher(RedisConnection redis, ILogger<WakeUpPublisher> log)
{
    private const int MaxCoalescedPartitions = 1024;
    private readonly ConcurrentDictionary<string, StrongBox<int>> _queued = new(StringComparer.Ordinal);

    public void Submitted(string partition)
    {
        // Partition names come from requests; past a sane number of them, just publish every time.
        if (_queued.Count >= MaxCoalescedPartitions && !_queued.ContainsKey(partition))
        {
            Publish(WakeUpChannels.Submitted, partition);
            return;
        }
        var queued = _queued.GetOrAdd(partition, _ => new StrongBox<int>());
        if (Interlocked.Exchange(ref queued.Value, 1) == 1) return;
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            var (self, partition, queued) = state;
            // Cleared before sending: a submit arriving from here on queues a wake-up of its own.
            Volatile.Write(ref queued.Value, 0);
            self.Publish(WakeUpChannels.Submitted, partition);
        }, (this, partition, queued), preferLocal: false);
    }

    public void Cancel(long jobId) => Publish(WakeUpChannels.Cancel, jobId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private void Publish(string channel, string message)
    {
        try
        {
            if (!redis.IsConnected) return;
            redis.Multiplexer.GetSubscriber().Publish(RedisChannel.Literal(channel), message, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            log.LogDebug(e, "Wake-up {Channel} not published; workers will poll", channel);
        }
    }
}
