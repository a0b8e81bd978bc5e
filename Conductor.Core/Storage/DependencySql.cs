namespace Conductor.Core.Storage;

/// <summary>
/// The dependency rules as SQL fragments, shared by the claim, the never-satisfied sweep and the
/// pending reason so that all three agree on what "satisfied" means:
/// afterok needs COMPLETED; afternotok needs FAILED or CANCELLED; afterany needs any end.
/// A job retried after a failure is PENDING again, not FAILED, so it satisfies nothing yet.
/// </summary>
internal static class DependencySql
{
    /// <summary>True while the job <paramref name="job"/> (a table alias) has an edge not yet satisfied.</summary>
    public static string Waiting(string job) => $"""
        EXISTS (SELECT 1 FROM job_dependencies d JOIN jobs p ON p.id = d.depends_on
                WHERE d.job_id = {job}.id AND NOT CASE d.kind
                    WHEN 'afterok' THEN p.state = 'COMPLETED'
                    WHEN 'afternotok' THEN p.state IN ('FAILED', 'CANCELLED')
                    ELSE p.state IN ('COMPLETED', 'FAILED', 'CANCELLED') END)
        """;

    /// <summary>An edge that can no longer be satisfied: its job ended, and not in the accepted way.</summary>
    public const string NeverSatisfied = """
        (d.kind = 'afterok' AND p.state IN ('FAILED', 'CANCELLED'))
        OR (d.kind = 'afternotok' AND p.state = 'COMPLETED')
        """;
}
