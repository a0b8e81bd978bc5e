using System.Text.Json.Serialization;
using Conductor.Api.Auth;
using Conductor.Api.Limits;
using Conductor.Api.Stats;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>POST /jobs/submit</c>: validate, store as PENDING, wake the workers. Concurrent single
/// submits share statements and commits (<see cref="SubmitBatcher"/>); each is answered only
/// once its row is committed, and the batcher sends the wake-up (one per stored batch).
/// </summary>
internal static class SubmitEndpoint
{
    /// <summary>SCNS-Conductor's answer; an array submit also lists every task's job (job_id is the first).</summary>
    public sealed record Response(
        string JobId, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? JobIds = null);

    public static async Task<Results<Created<Response>, ValidationProblem, ProblemHttpResult>> Handle(
        HttpRequest request, Caller caller, JobStore jobs, SubmitBatcher batcher, ClusterCapacity capacity, SubmitQuota quota,
        IOptions<ApiOptions> options, ConductorMetrics metrics, CancellationToken ct)
    {
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, options.Value.EffectiveMaxBodyBytes, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        var spec = SubmitParser.Parse(body.RootElement, "", options.Value, caller, errors);
        if (spec is null) return Problems.Invalid(errors);
        spec = spec with { DataSource = DataSources.FromHeader(request.Headers[DataSources.Header]) };
        await capacity.CheckAsync(spec, "job", errors, ct);
        await DependencyTargets.CheckAsync(jobs, caller, [spec], _ => "job", errors, ct);
        if (errors.Any) return Problems.Invalid(errors);

        if (!IdempotencyKey.TryRead(request, out var key)) return Problems.Invalid(IdempotencyKey.Header, IdempotencyKey.Malformed);
        // Scoped to the account: another account's identical key must neither reuse nor reveal its job.
        if (key is not null) spec = spec with { IdempotencyKey = Core.Accounts.TokenSecret.Hash($"{spec.Account}\n{key}") };

        var expanded = spec.Expand();
        if (await quota.CheckAsync(request.HttpContext, spec.Account, expanded.Count, "job.account", ct) is { } tooMany) return tooMany;

        var ids = await batcher.SubmitAsync(expanded, ct);
        // A key already taken answers its job: the same one only for the same request.
        if (key is not null && (ids.Count != expanded.Count || await jobs.GetAsync(ids[0], ct) is not { } head || !IdempotentRequest.Matches(expanded[0], head)))
            return Problems.KeyReused(JobView.Id(ids[0]));
        metrics.Submitted.Inc(ids.Count);
        var wire = ids.Select(JobView.Id).ToList();
        return TypedResults.Created($"/jobs/query/{wire[0]}", new Response(wire[0], spec.Array is null ? null : wire));
    }
}
