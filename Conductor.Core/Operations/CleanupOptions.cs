namespace Conductor.Core.Operations;

/// <param name="Retention">finished jobs that ended longer ago than this are deleted</param>
/// <param name="ExpirePendingAfter">PENDING jobs submitted longer ago than this become FAILED <c>Expired</c>; null = never</param>
/// <param name="DryRun">count and report, change nothing</param>
/// <param name="DataDir">the worker data directory whose <c>jobs/&lt;id&gt;/</c> directories go with their jobs; null = leave files</param>
/// <param name="BatchSize">rows per transaction, so a large table is never locked as a whole</param>
public sealed record CleanupOptions(TimeSpan Retention, TimeSpan? ExpirePendingAfter, bool DryRun, string? DataDir, int BatchSize = 1000)
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(30);
}

/// <summary>What one cleanup run did (or, in a dry run, would do).</summary>
public sealed record CleanupReport(bool DryRun, int ReleasedAllocations, int ExpiredPending, int DeletedJobs,
    long DeletedEvents, long DeletedAllocations, int DeletedDirectories, IReadOnlyList<string> Messages)
{
    public bool DidNothing => ReleasedAllocations == 0 && ExpiredPending == 0 && DeletedJobs == 0 && DeletedDirectories == 0;
}
