using System.Globalization;
using Conductor.Api.Auth;
using Conductor.Api.Jobs;
using Conductor.Api.Messaging;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Nodes;

/// <summary>
/// <c>POST /nodes/{name}/drain</c> {reason, deadline?} and <c>/resume</c>; <c>POST /partitions/{name}/pause</c>
/// and <c>/resume</c>. Cluster resources: admin tokens only (others get 403).
/// </summary>
internal static class DrainEndpoints
{
    public sealed record Response(string Name, string State, string Msg);

    public static async Task<Results<Ok<Response>, ValidationProblem, ProblemHttpResult>> Drain(
        string name, HttpRequest request, NodeStore nodes, CancellationToken ct)
    {
        var errors = new FieldErrors();
        string reason = "Drained by an admin.";
        DateTime? deadline = null;
        // The body is optional: curl -X POST sends none (no Content-Length at all).
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var body = await RequestBody.ReadAsync(request, 16 * 1024, errors, ct);
            if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
            if (body.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object) return Problems.Invalid("body", "The body must be a JSON object: {\"reason\": \"...\", \"deadline\": \"...\"}.");
            foreach (var p in body.RootElement.EnumerateObject())
                if (p.Name is not ("reason" or "deadline")) errors.Add(Short(p.Name), $"'{Short(p.Name)}' is not a field of a drain (reason, deadline).");
            var f = new JsonFields(body.RootElement, "", errors);
            if (f.String("reason", 256) is { } r)
            {
                if (r.Any(char.IsControl) || string.IsNullOrWhiteSpace(r)) errors.Add("reason", "'reason' must be printable text, not blank.");
                reason = r;
            }
            if (f.String("deadline", 64) is { } d)
            {
                if (DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at.Year is >= 1970 and < 2100)
                    deadline = at.UtcDateTime;
                else errors.Add("deadline", "'deadline' must be an ISO 8601 date and time such as 2026-12-01T02:00:00Z.");
            }
            if (errors.Any) return Problems.Invalid(errors);
        }
        if (!await nodes.DrainAsync(name, reason, deadline, ct)) return NodeNotFound(name);
        return TypedResults.Ok(new Response(name, "DRAINING", deadline is null
            ? $"Node {name} takes no new jobs; its running jobs finish."
            : $"Node {name} takes no new jobs; its running jobs are requeued if still running at {deadline:O}."));
    }

    public static async Task<Results<Ok<Response>, ProblemHttpResult>> Resume(string name, NodeStore nodes, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        if (await nodes.ResumeAsync(name, ct) is not { } partition) return NodeNotFound(name);
        wakeUps.Submitted(partition);
        return TypedResults.Ok(new Response(name, "UP", $"Node {name} takes jobs again."));
    }

    public static async Task<Results<Ok<Response>, ValidationProblem>> Pause(string name, NodeStore nodes, CancellationToken ct)
    {
        if (BadPartition(name) is { } bad) return bad;
        await nodes.SetPartitionPausedAsync(name, true, null, ct);
        return TypedResults.Ok(new Response(name, "PAUSED", $"Partition {name} starts nothing until resumed; its queue is kept."));
    }

    public static async Task<Results<Ok<Response>, ValidationProblem>> ResumePartition(string name, NodeStore nodes, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        if (BadPartition(name) is { } bad) return bad;
        await nodes.SetPartitionPausedAsync(name, false, null, ct);
        wakeUps.Submitted(name);
        return TypedResults.Ok(new Response(name, "UP", $"Partition {name} dispatches again."));
    }

    /// <summary>An endpoint filter: cluster resources are an admin's (403 for others).</summary>
    public static async ValueTask<object?> AdminOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Caller.From(context.HttpContext.User).IsAdmin
            ? await next(context)
            : HoldEndpoints.Forbidden("Authorization", "Only admin tokens may drain or resume nodes and pause partitions.");

    private static ValidationProblem? BadPartition(string name) =>
        name.Length is 0 or > 64 || name.Any(char.IsControl) ? Problems.Invalid("name", "A partition name is 1 to 64 printable characters.") : null;

    private static ProblemHttpResult NodeNotFound(string name) =>
        TypedResults.Problem(detail: $"Node '{Short(name)}' does not exist.", statusCode: StatusCodes.Status404NotFound, title: "Unknown node.",
            extensions: HoldEndpoints.Field("name"));

    private static string Short(string s) => s.Length <= 64 ? s : s[..64] + "...";
}
