using Conductor.Api.Auth;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Jobs;

/// <summary><c>GET /jobs</c>: newest first, filtered, keyset-paged with an opaque cursor.</summary>
internal static class ListEndpoint
{
    public sealed record Item(string JobId, string Name, string State, string Reason, string Account, string Partition,
        int Cpus, int Priority, string? Node, DateTime SubmitTime, DateTime? StartTime, DateTime? EndTime, string ExitCode,
        [property: System.ComponentModel.Description("\"user\" or \"admin\" while held, else null.")] string? Hold = null,
        [property: System.ComponentModel.Description("The GPUs asked for as a gres string (gpu:2, gpu:a100:1); null for none.")] string? Gres = null);

    public sealed record Response(IReadOnlyList<Item> Jobs, string? NextCursor);

    public static async Task<Results<Ok<Response>, ValidationProblem>> Handle(
        string? state, string? account, string? name, string? limit, string? cursor, Caller caller, JobStore jobs, CancellationToken ct)
    {
        JobState? stateFilter = null;
        if (state is not null)
        {
            if (!JobStateNames.TryParse(state, out var s))
                return Problems.Invalid("state", "'state' must be one of PENDING, RUNNING, COMPLETED, FAILED, CANCELLED.");
            stateFilter = s;
        }
        if ((BadText(account, "account") ?? BadText(name, "name")) is { } bad) return bad;
        var take = 100;
        if (limit is not null && (!int.TryParse(limit, out take) || take < 1 || take > 1000))
            return Problems.Invalid("limit", "'limit' must be an integer between 1 and 1000.");
        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, out var c) || c < 1) return Problems.Invalid("cursor", "'cursor' is not a cursor this server gave out.");
            before = c;
        }
        // Another account's jobs do not exist for a non-admin: an empty page, not an error.
        if (!JobAccess.TryListAccount(caller, account, out var visible)) return TypedResults.Ok(new Response([], null));
        var page = await jobs.ListAsync(new JobFilter(stateFilter, visible, name, take, before), ct);
        var reasons = await jobs.WaitReasonsAsync(page, ct);
        var items = page.Select(j => new Item(JobView.Id(j.Id), j.Name ?? $"job-{j.Id}", j.State.ToWire(), reasons.GetValueOrDefault(j.Id, j.Reason), j.Account,
            j.Partition, j.Cpus, j.Priority, j.Node, j.SubmitTime, j.StartTime, j.EndTime, JobView.ExitCode(j.ExitCode), j.Hold,
            new Core.Jobs.GresRequest(j.Gpus, j.GpuModel).ToGres())).ToList();
        var next = page.Count == take ? JobView.Id(page[^1].Id) : null;
        return TypedResults.Ok(new Response(items, next));
    }

    /// <summary>A filter is compared in SQL: PostgreSQL refuses NUL in text (a 500 before), and no name holds a control character.</summary>
    private static ValidationProblem? BadText(string? value, string field) =>
        value is not null && (value.Length > 256 || value.Any(char.IsControl))
            ? Problems.Invalid(field, $"'{field}' must be at most 256 characters without control characters.")
            : null;
}
