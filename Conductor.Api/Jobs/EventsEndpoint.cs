using Conductor.Api.Auth;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Jobs;

/// <summary><c>GET /jobs/{id}/events</c>: the job's state transitions and edits (holds, changes, requeues), oldest first.</summary>
internal static class EventsEndpoint
{
    public sealed record Event(string? From, string To, string Reason, DateTime At, string? Node,
        [property: System.ComponentModel.Description("Who did what, for people: a hold, a release, a field edited, a requeue; null for plain moves.")] string? Message = null);

    public sealed record Response(string JobId, IReadOnlyList<Event> Events);

    public static async Task<Results<Ok<Response>, ProblemHttpResult>> Handle(string id, Caller caller, JobAccess access, JobStore jobs, CancellationToken ct)
    {
        if (await access.FindIdAsync(caller, id, ct) is not { } jobId) return Problems.JobNotFound(id);
        var events = await jobs.EventsAsync(jobId, ct);
        return TypedResults.Ok(new Response(JobView.Id(jobId),
            events.Select(e => new Event(e.FromState?.ToWire(), e.ToState.ToWire(), e.Reason, e.At, e.Node, e.Message)).ToList()));
    }
}
