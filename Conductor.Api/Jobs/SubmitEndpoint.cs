using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary><c>POST /jobs/submit</c>: validate, store as PENDING, wake the workers.</summary>
internal static class SubmitEndpoint
{
    public sealed record Response(string JobId);

    public static async Task<Results<Created<Response>, ValidationProblem>> Handle(
        HttpRequest request, JobStore jobs, ClusterCapacity capacity, WakeUpPublisher wakeUps,
        IOptions<ApiOptions> options, CancellationToken ct)
    {
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, options.Value.EffectiveMaxBodyBytes, errors, ct);
        if (body is null) return Problems.Invalid(errors);
        var spec = SubmitParser.Parse(body.RootElement, "", options.Value, errors);
        if (spec is null) return Problems.Invalid(errors);
        await capacity.CheckAsync(spec, "job", errors, ct);
        await DependencyTargets.CheckAsync(jobs, [spec], _ => "job", errors, ct);
        if (errors.Any) return Problems.Invalid(errors);

        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 200) return Problems.Invalid("Idempotency-Key", "The Idempotency-Key header must be at most 200 characters.");
        if (key.Length > 0) spec = spec with { IdempotencyKey = key };

        var ids = await jobs.SubmitAsync([spec], ct);
        wakeUps.Submitted(spec.Partition);
        var id = ids[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Created($"/jobs/query/{id}", new Response(id));
    }
}
