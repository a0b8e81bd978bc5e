using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Conductor.Api.Http;

/// <summary>
/// PostgreSQL unreachable, restarting, out of connections or timing out is an outage, not a bug:
/// every endpoint answers 503 problem+json with <c>Retry-After</c> instead of a bare 500, so
/// clients retry instead of giving up. <c>/health</c> catches the same failures itself and keeps
/// its own 503 body. Other exceptions (a constraint violation, a bug) stay 500.
/// </summary>
internal sealed class StoreOutage(IProblemDetailsService problems, ILogger<StoreOutage> log) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!IsOutage(exception) || context.Response.HasStarted) return false;
        log.LogWarning("The database is unavailable; {Method} {Path} answered 503: {Error}",
            context.Request.Method, context.Request.Path.Value, exception.GetBaseException().Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable, Title = "The database is unavailable.",
                Detail = $"Conductor cannot reach its database right now; retry in {RetryAfterSeconds} seconds.",
            },
        });
    }

    /// <summary>
    /// Somewhere in the chain (EF Core and the submit batcher wrap the driver's exception): a
    /// transient Npgsql failure (connect refused, broken connection, timeout, pool exhausted,
    /// server shutting down or out of connections) or a bare timeout.
    /// </summary>
    public static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg when pg.IsTransient || pg.SqlState.StartsWith("57P0", StringComparison.Ordinal):
                case NpgsqlException { IsTransient: true } and not PostgresException:
                case TimeoutException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsOutage):
                    return true;
            }
        }
        return false;
    }
}
