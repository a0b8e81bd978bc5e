using System.Globalization;
using System.Text.Json;
using Conductor.Api.Auth;
using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>PATCH /jobs/{id}</c> (scontrol update): changes fields of a job that has not started,
/// validated exactly as submit validates them (the same parser, capacity and dependency checks),
/// with Slurm's rules on top: only an admin raises a priority or lengthens a time limit; a
/// dependency may name only jobs submitted before this one (no cycle can form). Each change is
/// an event row. A job that started is a 409; another account's job a 404.
/// </summary>
internal static class PatchEndpoint
{
    public static readonly string[] Editable =
        ["name", "priority", "time_limit", "partition", "ntasks_per_node", "cpus_per_task", "memory_per_node", "dependency", "begin_time"];

    public static async Task<Results<Ok<JobView>, ValidationProblem, ProblemHttpResult>> Handle(
        string id, HttpRequest request, Caller caller, JobAccess access, JobStore jobs, ClusterCapacity capacity, WakeUpPublisher wakeUps,
        IOptions<ApiOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var job = await access.FindAsync(caller, id, ct);
        if (job is null) return Problems.JobNotFound(id);
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, 64 * 1024, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        var (fields, path) = FieldsOf(body.RootElement, errors);
        if (errors.Any) return Problems.Invalid(errors);
        if (job.State != JobState.Pending) return Started(id, job.State);

        var spec = SubmitParser.ParseJobFields(fields, path, options.Value, caller, errors);
        if (errors.Any) return Problems.Invalid(errors);
        var given = fields.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null || p.Name is "dependency" or "begin_time" or "time_limit")
            .Select(p => p.Name).ToHashSet();
        var patch = PatchRules.Build(job, spec, given, caller, path, errors);
        if (errors.Any) return Problems.Invalid(errors);
        var merged = JobSpec.CopyOf(job) with
        {
            Partition = patch.Partition ?? job.Partition, NtasksPerNode = patch.NtasksPerNode ?? job.NtasksPerNode,
            CpusPerTask = patch.CpusPerTask ?? job.CpusPerTask, MemoryMb = patch.MemoryMb ?? job.MemoryMb,
            Dependencies = patch.Dependencies,
        };
        if (patch.Partition is not null || patch.NtasksPerNode is not null || patch.CpusPerTask is not null || patch.MemoryMb is not null)
            await capacity.CheckAsync(merged, path, errors, ct);
        if (patch.SetsDependency) await DependencyTargets.CheckAsync(jobs, caller, [merged], _ => path, errors, ct);
        if (errors.Any) return Problems.Invalid(errors);

        if (patch.Changes.Count > 0 && !await jobs.UpdatePendingAsync(job.Id, patch, HoldEndpoints.Who(caller), ct))
            return Started(id, await jobs.GetStateAsync(job.Id, ct) ?? JobState.Running);
        wakeUps.Submitted(patch.Partition ?? job.Partition);
        var status = await jobs.GetStatusAsync(job.Id, ct);
        var updated = status!.Job;
        updated.Reason = await jobs.WaitReasonAsync(updated, ct);
        return TypedResults.Ok(JobView.From(updated, status.LatestCpuIds, new JobView.Logs("", ""), clock.GetUtcNow().UtcDateTime,
            options.Value.DataDir ?? "./data"));
    }

    /// <summary>The fields to change: <c>{"job": {...}}</c> as a submit has them, or the same fields bare.</summary>
    private static (JsonElement Fields, string Path) FieldsOf(JsonElement root, FieldErrors errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "The body must be a JSON object of the fields to change, bare or inside 'job'.");
            return (root, "job");
        }
        var (fields, path) = root.TryGetProperty("job", out var job) ? (job, "job") : (root, "job");
        if (fields.ValueKind != JsonValueKind.Object)
        {
            errors.Add("job", "'job' must be an object of the fields to change.");
            return (fields, path);
        }
        if (root.TryGetProperty("job", out _))
            foreach (var p in root.EnumerateObject().Where(p => p.Name != "job"))
                errors.Add(Short(p.Name), $"'{Short(p.Name)}' belongs inside 'job'.");
        foreach (var p in fields.EnumerateObject())
        {
            if (Editable.Contains(p.Name, StringComparer.Ordinal)) continue;
            var field = $"{path}.{Short(p.Name)}";
            errors.Add(field, KnownFields.Job.Contains(p.Name, StringComparer.Ordinal)
                ? $"'{field}' cannot be changed once submitted; editable: {string.Join(", ", Editable)}."
                : $"'{field}' is not a field of a job; editable: {string.Join(", ", Editable)}.");
        }
        if (!fields.EnumerateObject().Any()) errors.Add(path, $"Name at least one field to change: {string.Join(", ", Editable)}.");
        return (fields, path);
    }

    private static ProblemHttpResult Started(string id, JobState state) =>
        TypedResults.Problem(detail: $"Job {id} is {state.ToWire()}; only a PENDING job can be changed.", statusCode: StatusCodes.Status409Conflict,
            title: "The job has started.", extensions: new Dictionary<string, object?> { ["field"] = "id", ["state"] = state.ToWire() });

    private static string Short(string s) => s.Length <= 64 ? s : s[..64] + "...";
}

/// <summary>Slurm's rules for an edit by a non-admin, and the change lines of the job's events.</summary>
internal static class PatchRules
{
    public static JobPatch Build(Job job, JobSpec spec, IReadOnlySet<string> given, Caller caller, string path, FieldErrors errors)
    {
        var changes = new List<string>();
        void Change<T>(string field, T before, T after)
        {
            if (!EqualityComparer<T>.Default.Equals(before, after)) changes.Add($"{field}: {Show(before)} -> {Show(after)}");
        }
        if (given.Contains("priority"))
        {
            if (!caller.IsAdmin && spec.Priority > job.Priority)
                errors.Add($"{path}.priority", $"Only an admin may raise a priority (job's is {job.Priority}); you may lower it.");
            Change("priority", job.Priority, spec.Priority);
        }
        if (given.Contains("time_limit"))
        {
            if (!caller.IsAdmin && (spec.TimeLimitSeconds ?? int.MaxValue) > (job.TimeLimitSeconds ?? int.MaxValue))
                errors.Add($"{path}.time_limit", "Only an admin may lengthen a time limit; you may shorten it.");
            Change("time_limit", job.TimeLimitSeconds, spec.TimeLimitSeconds);
        }
        if (given.Contains("dependency"))
        {
            if (spec.Dependencies.Any(d => d.JobId >= job.Id))
                errors.Add($"{path}.dependency", $"A job may depend only on jobs submitted before it (ids below {job.Id}): no cycle can form.");
            Change("dependency", job.Dependency, spec.Dependency);
        }
        if (given.Contains("name")) Change("name", job.Name, spec.Name);
        if (given.Contains("partition")) Change("partition", job.Partition, spec.Partition);
        if (given.Contains("ntasks_per_node")) Change("ntasks_per_node", job.NtasksPerNode, spec.NtasksPerNode);
        if (given.Contains("cpus_per_task")) Change("cpus_per_task", job.CpusPerTask, spec.CpusPerTask);
        if (given.Contains("memory_per_node")) Change("memory_per_node", job.MemoryMb, spec.MemoryMb);
        if (given.Contains("begin_time")) Change("begin_time", job.BeginTime, spec.BeginTime);
        return new JobPatch
        {
            Name = given.Contains("name") ? spec.Name : null,
            Priority = given.Contains("priority") ? spec.Priority : null,
            SetsTimeLimit = given.Contains("time_limit"), TimeLimitSeconds = spec.TimeLimitSeconds,
            Partition = given.Contains("partition") ? spec.Partition : null,
            NtasksPerNode = given.Contains("ntasks_per_node") ? spec.NtasksPerNode : null,
            CpusPerTask = given.Contains("cpus_per_task") ? spec.CpusPerTask : null,
            MemoryMb = given.Contains("memory_per_node") ? spec.MemoryMb : null,
            SetsDependency = given.Contains("dependency"), Dependency = spec.Dependency, Dependencies = spec.Dependencies,
            SetsBeginTime = given.Contains("begin_time"), BeginTime = spec.BeginTime,
            Changes = changes,
        };
    }

    private static string Show<T>(T value) => value switch
    {
        null => "none",
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "none",
    };
}
