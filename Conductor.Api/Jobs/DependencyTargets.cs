using Conductor.Api.Auth;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;

namespace Conductor.Api.Jobs;

/// <summary>
/// A dependency must name jobs that exist, as Slurm insists: a typo would otherwise wait
/// forever. Jobs are never deleted, so checking before the insert cannot go stale. For a
/// non-admin caller another account's job does not exist (as everywhere in the API): same
/// answer, same message, same single statement, so a dependency cannot probe job ids, and a
/// job cannot learn from its wait reason how someone else's job ended.
/// </summary>
internal static class DependencyTargets
{
    public static async Task CheckAsync(
        JobStore jobs, Caller caller, IReadOnlyList<JobSpec> specs, Func<int, string> path, FieldErrors errors, CancellationToken ct)
    {
        var named = specs.SelectMany(s => s.Dependencies.Select(d => d.JobId)).ToHashSet();
        if (named.Count == 0) return;
        // A non-admin submits for its own account only (JobAccess.SubmitAccount), so one account covers every spec.
        var missing = await jobs.MissingJobsAsync(named, caller.IsAdmin ? null : caller.Account, ct);
        if (missing.Count == 0) return;
        for (var i = 0; i < specs.Count; i++)
        {
            var unknown = specs[i].Dependencies.Select(d => d.JobId).Where(missing.Contains).Distinct().ToList();
            if (unknown.Count > 0)
                errors.Add($"{path(i)}.dependency", $"The dependency names jobs that do not exist: {string.Join(", ", unknown)}.");
        }
    }
}
