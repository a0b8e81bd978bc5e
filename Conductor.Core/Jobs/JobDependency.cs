using System.Globalization;

namespace Conductor.Core.Jobs;

/// <summary>
/// One edge of a job's Slurm-style dependency: the job may start only once <see cref="DependsOn"/>
/// has ended in a way <see cref="Kind"/> accepts. All edges of a job must hold (Slurm's ',').
/// </summary>
public sealed class JobDependency
{
    public const string AfterOk = "afterok";
    public const string AfterNotOk = "afternotok";
    public const string AfterAny = "afterany";

    public long JobId { get; set; }
    public long DependsOn { get; set; }
    public string Kind { get; set; } = AfterOk;

    /// <summary>
    /// Parses <c>afterok:1:2,afternotok:3,afterany:4</c>. Slurm's other kinds (<c>after</c>,
    /// <c>singleton</c>, <c>aftercorr</c>) and its any-of separator <c>?</c> are refused rather
    /// than silently treated as something else.
    /// </summary>
    public static bool TryParse(string text, out List<(string Kind, long JobId)> edges, out string error)
    {
        edges = [];
        error = "";
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':', StringSplitOptions.TrimEntries);
            var kind = pieces[0].ToLowerInvariant();
            if (kind is not (AfterOk or AfterNotOk or AfterAny))
            {
                error = $"'{pieces[0]}' is not a supported dependency type; use afterok, afternotok or afterany (e.g. afterok:12:13).";
                return false;
            }
            if (pieces.Length < 2)
            {
                error = $"'{part}' names no job; write {kind}:<job_id>[:<job_id>...].";
                return false;
            }
            foreach (var id in pieces[1..])
            {
                if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var jobId) || jobId < 1)
                {
                    error = $"'{id}' in '{part}' is not a job id.";
                    return false;
                }
                if (!edges.Contains((kind, jobId))) edges.Add((kind, jobId));
            }
        }
        if (edges.Count > 100) error = "A job may depend on at most 100 jobs.";
        return error.Length == 0;
    }
}
