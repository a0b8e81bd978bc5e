using Conductor.Api.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api;

/// <summary>RFC 7807 answers that name the offending field.</summary>
internal static class Problems
{
    /// <remarks>
    /// <c>detail</c> carries the human text itself (every message, in order): an SCNS-Conductor
    /// client that prints <c>response.json()["detail"]</c>, as it does with FastAPI's 422, shows
    /// what is wrong; <c>errors</c> keeps them by field and <c>field</c> names the first.
    /// </remarks>
    public static ValidationProblem Invalid(FieldErrors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(),
            detail: errors.Summary,
            title: "The request is invalid.",
            extensions: new Dictionary<string, object?> { ["field"] = errors.FirstField });

    /// <summary>413: the body is over its limit (<see cref="FieldErrors.TooLarge"/>).</summary>
    public static ProblemHttpResult TooLarge(FieldErrors errors) =>
        TypedResults.Problem(detail: errors.Summary, statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large.",
            extensions: new Dictionary<string, object?> { ["field"] = "body" });

    /// <summary>409: an Idempotency-Key already names a different request.</summary>
    public static ProblemHttpResult KeyReused(string jobId) =>
        TypedResults.Problem(detail: $"This Idempotency-Key was already used for a different request (job {jobId}); a new request needs a new key.",
            statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused.",
            extensions: new Dictionary<string, object?> { ["field"] = "Idempotency-Key" });

    public static ValidationProblem Invalid(string field, string message)
    {
        var errors = new FieldErrors();
        errors.Add(field, message);
        return Invalid(errors);
    }

    public static ProblemHttpResult JobNotFound(string id) =>
        TypedResults.Problem(detail: $"Job '{id}' does not exist.", statusCode: StatusCodes.Status404NotFound,
            title: "Unknown job.", extensions: new Dictionary<string, object?> { ["field"] = "id" });
}
