namespace Conductor.Worker.Messaging;

/// <summary>
/// Coalescing wake-up signal for the dispatch loop: any number of wakes before the loop looks
/// again count as one. A cancel hint additionally asks the loop to look for cancel requests.
/// </summary>
public sealed class WakeUps
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private int _cancelHint;

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public void CancelHint()
    {
        Interlocked.Exchange(ref _cancelHint, 1);
        Wake();
    }

    public bool TakeCancelHint() => Interlocked.Exchange(ref _cancelHint, 0) == 1;

    /// <returns>true when woken, false when the timeout passed.</returns>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
