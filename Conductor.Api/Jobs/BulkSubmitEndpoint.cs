using Conductor.Api.Auth;
using System.Globalization;
using System.Text.Json;
using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>POST /jobs/submit/bulk</c>: an array of submit bodies, all or nothing. Every element is
/// validated first (errors are named <c>[i].job.field</c>); only a fully valid array is stored,
/// in one transaction, so a client never has to clean up half a batch.
/// </summary>
internal static class BulkSubmitEndpoint
{
    public sealed record Response(IReadOnlyList<string> JobIds);

    public static async Task<Results<Created<Response>, ValidationProblem, ProblemHttpResult>> Handle(
        HttpRequest request, Caller caller, JobStore jobs, ClusterCapacity capacity, Limits.SubmitQuota quota, WakeUpPublisher wakeUps,
        IOptions<ApiOptions> options, CancellationToken ct)
    {
        var limits = options.Value;
        AllowLargeBody(request.HttpContext, limits.MaxBulkBodyBytes);
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, limits.MaxBulkBodyBytes, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        var source = DataSources.FromHeader(request.Headers[DataSources.Header]);
        var specs = Parse(body.RootElement, limits, caller, errors)?.Select(s => s with { DataSource = source }).ToList();
        if (specs is null) return Problems.Invalid(errors);
        await capacity.CheckAllAsync(specs, i => $"[{i}].job", errors, ct);
        await DependencyTargets.CheckAsync(jobs, caller, specs, i => $"[{i}].job", errors, ct);
        if (errors.Any) return Problems.Invalid(errors);
        if (!IdempotencyKey.TryRead(request, out var key)) return Problems.Invalid(IdempotencyKey.Header, IdempotencyKey.Malformed);
        if (key is not null)
        {
            specs = Keyed(specs, caller, key);
            if (await ReplayAsync(jobs, specs, ct) is { } replay) return replay;
        }
        foreach (var account in specs.GroupBy(s => s.Account))
            if (await quota.CheckAsync(request.HttpContext, account.Key, account.Count(), "[0].job.account", ct) is { } tooMany) return tooMany;

        var ids = await jobs.SubmitAsync(specs, ct);
        // A racing retry won the keys: answer its jobs (or its conflict), as a later retry would.
        if (key is not null && ids.Count != specs.Count && await ReplayAsync(jobs, specs, ct) is { } raced) return raced;
        foreach (var partition in specs.Select(s => s.Partition).Distinct()) wakeUps.Submitted(partition);
        var wire = ids.Select(id => id.ToString(CultureInfo.InvariantCulture)).ToList();
        return TypedResults.Created("/jobs", new Response(wire));
    }

    /// <summary>
    /// Every job of the bulk gets a key of its own, derived from the header, the caller's account
    /// (another account's identical key must neither reuse nor reveal its jobs) and its position.
    /// </summary>
    private static List<JobSpec> Keyed(List<JobSpec> specs, Caller caller, string key) =>
        specs.Select((s, i) => s with { IdempotencyKey = Core.Accounts.TokenSecret.Hash($"{caller.Account}\nbulk\n{key}\n{i}") }).ToList();

    /// <summary>
    /// With the key already used: 201 with the same jobs when this is the same request, 409 when
    /// it is another; null when the key is new.
    /// </summary>
    private static async Task<Results<Created<Response>, ValidationProblem, ProblemHttpResult>?> ReplayAsync(
        JobStore jobs, List<JobSpec> specs, CancellationToken ct)
    {
        var existing = await jobs.FindByIdempotencyKeysAsync(specs.Select(s => s.IdempotencyKey!).ToList(), ct);
        if (existing.Count == 0) return null;
        var byKey = existing.ToDictionary(j => j.IdempotencyKey!, StringComparer.Ordinal);
        var same = existing.Count == specs.Count
                   && specs.All(s => byKey.TryGetValue(s.IdempotencyKey!, out var job) && IdempotentRequest.Matches(s, job));
        if (!same) return Problems.KeyReused(existing[0].Id.ToString(CultureInfo.InvariantCulture));
        var wire = specs.Select(s => byKey[s.IdempotencyKey!].Id.ToString(CultureInfo.InvariantCulture)).ToList();
        return TypedResults.Created("/jobs", new Response(wire));
    }

    private static List<JobSpec>? Parse(JsonElement root, ApiOptions limits, Caller caller, FieldErrors errors)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            errors.Add("body", "The request body must be a JSON array of submit bodies ({\"job\": {...}, \"script\": \"...\"}).");
            return null;
        }
        var count = root.GetArrayLength();
        if (count == 0 || count > limits.MaxBulkJobs)
        {
            errors.Add("body", $"A bulk submit carries between 1 and {limits.MaxBulkJobs} jobs; this one has {count}.");
            return null;
        }
        var specs = new List<JobSpec>(count);
        var i = 0;
        foreach (var element in root.EnumerateArray())
        {
            var spec = SubmitParser.Parse(element, $"[{i}]", limits, caller, errors);
            if (spec?.Array is not null) errors.Add($"[{i}].job.array", "Job arrays are submitted one at a time with POST /jobs/submit.");
            else if (spec is not null) specs.Add(spec);
            i++;
        }
        return errors.Any ? null : specs;
    }

    /// <summary>Kestrel caps bodies at ~28 MB by default; a bulk submit has its own, larger cap.</summary>
    private static void AllowLargeBody(HttpContext context, int maxBytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = maxBytes;
    }
}
