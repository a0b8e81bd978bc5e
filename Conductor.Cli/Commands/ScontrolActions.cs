using System.Globalization;
using System.Text.Json.Nodes;
using Conductor.Cli.Api;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>scontrol hold|uhold|release|requeue JOBID[,JOBID...]</c> and <c>scontrol update JobId=N Key=Value...</c>,
/// each the matching API call (POST /jobs/{id}/hold, /release, /requeue; PATCH /jobs/{id}). The API
/// decides who may do what (an admin hold, a raised priority); its refusal is printed as scontrol would.
/// </summary>
internal static class ScontrolActions
{
    public static readonly string[] Verbs = ["hold", "uhold", "release", "requeue", "update"];

    public static async Task<int> RunAsync(IReadOnlyList<string> words, CliContext cx)
    {
        using var client = cx.Client();
        if (words[0] == "update") return await UpdateAsync(client, words.Skip(1).ToList(), cx);
        var ids = words.Skip(1).SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (ids.Count == 0) throw new SlurmUsageException($"{words[0]}: a job id is required");
        var path = words[0] switch
        {
            "uhold" => "hold?kind=user",
            var verb => verb,
        };
        var failed = 0;
        foreach (var id in ids)
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _)) throw new SlurmUsageException($"Invalid job id specified: {id}");
            try
            {
                await client.PostAsync($"jobs/{id}/{path}", null, cx.Cancel);
            }
            catch (ApiException e)
            {
                await cx.Error.WriteLineAsync($"scontrol: error: {words[0]} of job {id}: {e.Message}");
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Slurm's update keys (case-insensitive) as the API's fields.</summary>
    private static async Task<int> UpdateAsync(ApiClient client, List<string> pairs, CliContext cx)
    {
        string? id = null;
        var job = new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new SlurmUsageException($"update: expected Key=Value, got '{pair}'");
            var (key, value) = (pair[..eq].ToLowerInvariant(), pair[(eq + 1)..]);
            switch (key)
            {
                case "jobid": id = value; break;
                case "priority": job["priority"] = Number(value, key); break;
                case "timelimit": job["time_limit"] = SlurmTime.ToWire(SlurmTime.ParseLimit(value, "TimeLimit")); break;
                case "partition": job["partition"] = value; break;
                case "numcpus": job["cpus_per_task"] = Number(value, key); job["ntasks_per_node"] = 1; break;
                case "cpuspertask": job["cpus_per_task"] = Number(value, key); break;
                case "numtasks": job["ntasks_per_node"] = Number(value, key); break;
                case "minmemorynode": job["memory_per_node"] = $"{SlurmMemory.ParseMb(value, "MinMemoryNode")}M"; break;
                case "dependency": job["dependency"] = value.Length == 0 ? null : value; break;
                case "starttime" or "begintime":
                    job["begin_time"] = SlurmBeginTime.Parse(value, cx.Clock.GetUtcNow()).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                    break;
                case "jobname" or "name": job["name"] = value; break;
                default: throw new SlurmUsageException($"update: '{pair[..eq]}' cannot be changed (JobId, Priority, TimeLimit, Partition, NumCPUs, " +
                                                       "CPUsPerTask, NumTasks, MinMemoryNode, Dependency, StartTime, JobName)");
            }
        }
        if (id is null) throw new SlurmUsageException("update: JobId=<id> is required");
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _)) throw new SlurmUsageException($"Invalid job id specified: {id}");
        if (job.Count == 0) throw new SlurmUsageException("update: nothing to change");
        await client.SendAsync(HttpMethod.Patch, $"jobs/{id}", new JsonObject { ["job"] = job }, cx.Cancel);
        return 0;
    }

    private static int Number(string value, string key) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new SlurmUsageException($"update: {key}={value} is not a number");
}
