using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Output;

/// <summary>The answer while a job's output lies on a node the API cannot reach.</summary>
internal static class NodeProblems
{
    public const int RetryAfterSeconds = 5;

    /// <summary>503 naming the node and why, with <c>Retry-After</c>: the output is not lost, only out of reach now.</summary>
    public static ProblemHttpResult Unreachable(NodeUnreachableException e, HttpContext http)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(detail: e.Message + ". The job's state is still shown by GET /jobs/query/{id}; try the output again later.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "The job's node cannot be reached.",
            extensions: new Dictionary<string, object?> { ["node"] = e.Node });
    }
}
