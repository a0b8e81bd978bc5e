using Conductor.Api.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api;

/// <summary>RFC 7807 answers that name the offending field.</summary>
internal static class Problems
{
    public static ValidationProblem Invalid(FieldErrors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(),
            detail: $"Invalid value for '{errors.FirstField}'.",
            title: "The request is invalid.",
            extensions: new Dictionary<string, object?> { ["field"] = errors.FirstField });

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
