namespace Conductor.Core.Operations;

/// <summary>How old is too old, for the checks that judge by time.</summary>
/// <param name="Lease">a node whose heartbeat is older than this is presumed dead (the worker's LeaseSeconds)</param>
/// <param name="PendingAge">a PENDING job eligible for longer than this while cores are free is stuck</param>
public sealed record HealthThresholds(TimeSpan Lease, TimeSpan PendingAge)
{
    public static HealthThresholds Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
}
