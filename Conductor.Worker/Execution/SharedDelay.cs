namespace Conductor.Worker.Execution;

/// <summary>
/// Delays that end together on a coarse tick: every caller within one tick of another shares one
/// timer. A delay asked for here ends between <c>delay</c> and <c>delay + tick</c> from now. Meant
/// for a delay started per job, many per second, where a timer each would wake the runtime's
/// timer thread for each (when it is due, or when it is the earliest), though nearly all of them
/// are dropped unfired when their job ends first.
/// </summary>
public sealed class SharedDelay(TimeSpan tick)
{
    private readonly long _tickMs = Math.Max(1, (long)tick.TotalMilliseconds);
    private readonly Lock _gate = new();
    private long _due;
    private Task _shared = Task.CompletedTask;

    public Task AtLeast(TimeSpan delay)
    {
        var now = Environment.TickCount64;
        var due = (now + (long)delay.TotalMilliseconds + _tickMs - 1) / _tickMs * _tickMs;
        lock (_gate)
        {
            if (due != _due)
            {
                _due = due;
                _shared = Task.Delay(TimeSpan.FromMilliseconds(due - now));
            }
            return _shared;
        }
    }
}
