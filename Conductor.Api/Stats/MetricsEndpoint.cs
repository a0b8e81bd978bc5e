namespace Conductor.Api.Stats;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text exposition of <see cref="ConductorMetrics"/>; the gauges
/// are read from the database by the registry's before-collect hook while this request waits.
/// </summary>
internal static class MetricsEndpoint
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static async Task Handle(HttpContext context, ConductorMetrics metrics, CancellationToken ct)
    {
        context.Response.ContentType = ContentType;
        await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, ct);
    }
}
