using System.Text.Json;

namespace Conductor.Cli.Api;

/// <summary>
/// Jobs for squeue, sacct and scancel: <c>GET /jobs</c> page by page (the API filters by one state,
/// account and name; the rest is filtered here), or <c>GET /jobs/query/{id}</c> for named jobs and
/// for the fields a list item lacks (time limit, working directory).
/// </summary>
internal sealed class JobSource(ApiClient client)
{
    private const int PageSize = 1000;

    public async Task<List<JobInfo>> ListAsync(IEnumerable<string?> apiStates, string? account, string? name, CancellationToken ct)
    {
        var jobs = new List<JobInfo>();
        foreach (var state in apiStates.Distinct())
        {
            string? cursor = null;
            do
            {
                var query = new List<string> { $"limit={PageSize}" };
                if (state is not null) query.Add($"state={state}");
                if (account is not null) query.Add($"account={Uri.EscapeDataString(account)}");
                if (name is not null) query.Add($"name={Uri.EscapeDataString(name)}");
                if (cursor is not null) query.Add($"cursor={Uri.EscapeDataString(cursor)}");
                var page = await client.GetAsync("jobs?" + string.Join('&', query), ct);
                jobs.AddRange(page.GetProperty("jobs").EnumerateArray().Select(JobInfo.From));
                cursor = page.TryGetProperty("next_cursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }
            while (cursor is not null);
        }
        return jobs.DistinctBy(j => j.JobId).OrderBy(j => long.TryParse(j.JobId, out var n) ? n : long.MaxValue).ToList();
    }

    /// <summary>One job; null when the API does not know it (or it is another account's).</summary>
    public async Task<JobInfo?> FindAsync(string id, CancellationToken ct)
    {
        try
        {
            return JobInfo.From(await client.GetAsync($"jobs/query/{Uri.EscapeDataString(id)}", ct));
        }
        catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Replaces list items by their full query answers (a few requests each second, concurrently).</summary>
    public async Task<List<JobInfo>> DetailAsync(IReadOnlyList<JobInfo> jobs, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(8);
        var tasks = jobs.Select(async j =>
        {
            await gate.WaitAsync(ct);
            try
            {
                return await FindAsync(j.JobId, ct) ?? j;
            }
            finally
            {
                gate.Release();
            }
        });
        return [.. await Task.WhenAll(tasks)];
    }

    /// <summary>
    /// Slurm job ids as users write them: <c>42</c>, or <c>42_3</c> for an array element (which
    /// needs the API's array fields), or <c>42_[1-3]</c>; resolved to the jobs they name.
    /// </summary>
    public async Task<List<JobInfo>> ResolveAsync(string id, CancellationToken ct)
    {
        var underscore = id.IndexOf('_');
        if (underscore < 0) return await FindAsync(id, ct) is { } job ? [job] : [];
        var arrayId = id[..underscore];
        var tasks = id[(underscore + 1)..].Trim('[', ']');
        var all = await ListAsync([null], null, null, ct);
        if (!all.Any(j => j.ArrayJobId is not null))
            throw new Config.CliException($"array element ids such as {id} need the API's array_job_id/array_task_id fields, which this API does not send; use the element's own job id");
        var wanted = ExpandTasks(tasks);
        return all.Where(j => j.ArrayJobId == arrayId && j.ArrayTaskId is { } t && (wanted is null || wanted.Contains(t))).ToList();
    }

    private static HashSet<string>? ExpandTasks(string list)
    {
        if (list == "*") return null;
        var ids = new HashSet<string>();
        foreach (var part in list.Split(','))
        {
            var bounds = part.Split('-');
            if (bounds.Length == 2 && int.TryParse(bounds[0], out var a) && int.TryParse(bounds[1], out var b))
                for (var i = a; i <= b && i - a < 100_000; i++) ids.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            else ids.Add(part);
        }
        return ids;
    }
}
