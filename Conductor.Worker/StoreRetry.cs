using Microsoft.EntityFrameworkCore;
using Npgsql;

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
            catch (Exception e) when (IsTransient(e) && !stopping.IsCancellationRequested)
            {
                if (attempt == 1 || attempt % 10 == 0)
                    log.LogWarning("Store unavailable while trying to {What} (attempt {Attempt}): {Error}", what, attempt, e.Message);
                await Task.Delay(delay, stopping);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    public static bool IsTransient(Exception e) => e switch
    {
        // Server shutdown/restart (57P0x) and connection failures (08xxx) pass; a real SQL error does not.
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException n => n.IsTransient || n.InnerException is System.Net.Sockets.SocketException or IOException,
        TimeoutException or System.Net.Sockets.SocketException => true,
        DbUpdateException { InnerException: { } inner } => IsTransient(inner),
        InvalidOperationException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}
