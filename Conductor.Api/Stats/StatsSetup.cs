using Conductor.Core.Operations;

namespace Conductor.Api.Stats;

internal static class StatsSetup
{
    /// <summary>The database-backed statistics behind /stats, /dashboard and /metrics.</summary>
    public static IServiceCollection AddConductorStats(this IServiceCollection services) => services
        .AddSingleton<ClusterStatistics>()
        .AddSingleton<TransitionFeed>()
        .AddSingleton<ConductorMetrics>();
}
