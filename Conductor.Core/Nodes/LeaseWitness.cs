namespace Conductor.Core.Nodes;

/// <summary>
/// A reaper may declare a node dead only after it has itself seen the database healthy for a
/// whole lease. Otherwise, right after a PostgreSQL outage longer than the lease, every node
/// would look dead (nobody could heartbeat) and all running jobs would be failed as NodeFail.
/// </summary>
public sealed class LeaseWitness(TimeProvider clock)
{
    private DateTimeOffset? _healthySince;

    public void Healthy() => _healthySince ??= clock.GetUtcNow();

    public void Unhealthy() => _healthySince = null;

    public bool CanJudge(TimeSpan lease) => _healthySince is { } since && clock.GetUtcNow() - since >= lease;
}
