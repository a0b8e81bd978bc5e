using Conductor.Core.Jobs;
using Conductor.Core.Storage;

namespace Conductor.Api.Jobs;

/// <summary>
/// A dependency must name jobs that exist, as Slurm insists: a typo would otherwise wait
/// forever. Jobs are never deleted, so checking before the insert cannot go stale.
/// </summary>
internal static class DependencyTargets
{
    public static async Task CheckAsync(JobStore jobs, IReadOnlyList<JobSpec> specs, Func<int, string> path, FieldErrors errors, CancellationToken ct)
    {
        var named = specs.SelectMany(s => s.Dependencies.Select(d => d.JobId)).ToHashSet();
        if (named.Count == 0) return;
        var missing = await jobs.MissingJobsAsync(named, ct);
        if (missing.Count == 0) return;
        for (var i = 0; i < specs.Count; i++)
        {
            var unknown = specs[i].Dependencies.Select(d => d.JobId).Where(missing.Contains).Distinct().ToList();
            if (unknown.Count > 0)
                errors.Add($"{path(i)}.dependency", $"The dependency names jobs that do not exist: {string.Join(", ", unknown)}.");
        }
    }
}
