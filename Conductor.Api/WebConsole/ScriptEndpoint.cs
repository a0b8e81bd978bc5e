using Conductor.Api.Auth;
using Conductor.Api.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.WebConsole;

/// <summary>
/// <c>GET /jobs/{id}/script</c>: the batch script as it was submitted, for the console's job page
/// (and anyone auditing what ran). Another account's job is a 404, as everywhere.
/// </summary>
internal static class ScriptEndpoint
{
    public sealed record Response(string JobId, string Script);

    public static async Task<Results<Ok<Response>, ProblemHttpResult>> Handle(string id, Caller caller, JobAccess access, CancellationToken ct)
    {
        if (await access.FindAsync(caller, id, ct) is not { } job) return Problems.JobNotFound(id);
        return TypedResults.Ok(new Response(JobView.Id(job.Id), job.Script));
    }
}
