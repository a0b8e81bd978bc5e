using Conductor.Core.Storage;

namespace Conductor.Worker;

/// <summary>
/// Retries a store call while PostgreSQL is unreachable (restart, network blip), with backoff
/// up to 5 s, so that a state write is delayed but never dropped. Gives up only when the worker
/// is stopping; recovery on the next start then finishes the job from what is on disk.
/// </summary>
public sealed class StoreRetry(IHostApplicationLifetime lifetime, ILogger<StoreRetry> log)
{
    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> action)
    {
        var stopping = lifetime.ApplicationStopping;
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The call itself is not cancelled by shutdown: a write in flight should land.
                return await action(CancellationToken.None);
            }
            catch (Exception e) when (TransientFaults.IsTransient(e) && !stopping.IsCancellationRequested)
            {
                if (attempt == 1 || attempt % 10 == 0)
                    log.LogWarning("Store unavailable while trying to {What} (attempt {Attempt}): {Error}", what, attempt, e.Message);
                await Task.Delay(delay, stopping);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }
}
