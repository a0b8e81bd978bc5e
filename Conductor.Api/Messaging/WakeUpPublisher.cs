using Conductor.Core.Scheduling;
using StackExchange.Redis;

namespace Conductor.Api.Messaging;

/// <summary>
/// Tells workers to look at the database now. Fire-and-forget: the job is already stored, so
/// with Redis down the message is simply lost and workers find the work on their next poll.
/// </summary>
public sealed class WakeUpPublisher(RedisConnection redis, ILogger<WakeUpPublisher> log)
{
    public void Submitted(string partition) => Publish(WakeUpChannels.Submitted, partition);

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
