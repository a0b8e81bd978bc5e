using Conductor.Api.Auth;
using Conductor.Api.Output;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>GET /jobs/{id}/logs?stream=stdout|stderr&amp;offset=N&amp;limit=M</c> pages the whole output
/// file by byte offset; <c>&amp;follow=true</c> streams it as server-sent events until the job ends
/// (see <see cref="LogFollower"/>).
/// </summary>
internal static class LogsEndpoint
{
    public const int DefaultLimit = 64 * 1024;
    public const int MaxLimit = 1024 * 1024;

    /// <param name="Withheld">Why the content is empty although the job may have written output (a link, a file not the job user's), else null.</param>
    public sealed record Page(string JobId, string Stream, string State, string Content, long Offset, long NextOffset, long Size, bool Eof, string? Withheld = null);

    public static async Task<Results<Ok<Page>, ServerSentEventsResult<string>, ValidationProblem, ProblemHttpResult>> Handle(
        string id, string? stream, string? offset, string? limit, string? follow, HttpRequest request,
        Caller caller, JobAccess access, JobStore jobs, JobOutput output, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var which = stream ?? "stdout";
        if (which is not ("stdout" or "stderr")) errors.Add("stream", "'stream' must be stdout or stderr.");
        var from = ParseLong(offset ?? request.Headers["Last-Event-ID"].FirstOrDefault(), "offset", 0, long.MaxValue, errors) ?? 0;
        var take = (int)(ParseLong(limit, "limit", 1, MaxLimit, errors) ?? DefaultLimit);
        var following = false;
        if (follow is not null && !bool.TryParse(follow, out following)) errors.Add("follow", "'follow' must be true or false.");
        if (errors.Any) return Problems.Invalid(errors);

        if (await access.FindIdAsync(caller, id, ct) is not { } jobId) return Problems.JobNotFound(id);
        var job = await jobs.GetAsync(jobId, ct);
        if (job is null) return Problems.JobNotFound(id);
        if (following) return TypedResults.ServerSentEvents(LogFollower.FollowAsync(jobs, output, jobId, which, from, ct));

        LogChunk chunk;
        try
        {
            chunk = await LogPages.ReadAsync(output, job, which, from, take, ct);
        }
        catch (NodeUnreachableException e)
        {
            return NodeProblems.Unreachable(e, request.HttpContext);
        }
        return TypedResults.Ok(new Page(JobView.Id(jobId), which, job.State.ToWire(), chunk.Content, chunk.Offset, chunk.NextOffset,
            chunk.Size, chunk.NextOffset >= chunk.Size, chunk.Withheld));
    }

    private static long? ParseLong(string? text, string field, long min, long max, FieldErrors errors)
    {
        if (text is null) return null;
        if (long.TryParse(text, out var value) && value >= min && value <= max) return value;
        errors.Add(field, $"'{field}' must be an integer between {min} and {max}.");
        return null;
    }
}
