namespace Conductor.Worker;

/// <summary>
/// The worker runs socket completions inline on the socket engine's thread (see Program.cs). A
/// hosted service's stop must not finish there: the host would run the rest of its shutdown,
/// disposal included, on that thread, and a disposal that waits for its own socket (the Redis
/// connection's does) would wait for a thread that is busy waiting for it.
/// </summary>
public abstract class WorkerService : BackgroundService
{
    public override async Task StopAsync(CancellationToken ct)
    {
        await base.StopAsync(ct);
        await StoppingAsync(ct);
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
    }

    /// <summary>What the service does at stop once its loop has ended.</summary>
    protected virtual Task StoppingAsync(CancellationToken ct) => Task.CompletedTask;
}
