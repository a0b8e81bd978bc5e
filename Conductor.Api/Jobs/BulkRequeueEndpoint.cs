using System.Globalization;
using Conductor.Api.Auth;
using Conductor.Api.Messaging;
using Conductor.Core.Accounts;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>POST /jobs/requeue</c>: requeue by filter (state, reason, account, since), one request for
/// many jobs: RUNNING ones are killed and put back in line as a new attempt, finished ones are
/// resubmitted as new jobs (terminal states never change). Idempotent: a RUNNING job already being
/// requeued is not asked twice, and a finished job gets one copy however often it is asked.
/// Audited: each job an event row naming who asked. Answers every id it acted on.
/// </summary>
internal static class BulkRequeueEndpoint
{
    public const int MaxJobs = 1000;

    public sealed record Copy(string JobId, string NewJobId);

    public sealed record Response(IReadOnlyList<string> Requeued, IReadOnlyList<Copy> Resubmitted, int Matched, bool Truncated);

    public static async Task<Results<Ok<Response>, ValidationProblem, ProblemHttpResult>> Handle(
        HttpRequest request, Caller caller, JobStore jobs, WakeUpPublisher wakeUps, IOptions<ApiOptions> options, CancellationToken ct)
    {
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, 64 * 1024, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        var filter = Parse(body.RootElement, caller, errors);
        if (filter is null || errors.Any) return Problems.Invalid(errors);

        var matched = await jobs.MatchRequeueAsync(filter, ct);
        var who = HoldEndpoints.Who(caller);
        var requeued = new List<string>();
        if (filter.State == JobState.Running)
        {
            foreach (var job in matched)
            {
                if (await jobs.RequestRequeueAsync(job.Id, $"{who} (bulk)", ct) is JobActionResult.Done or JobActionResult.Unchanged)
                {
                    requeued.Add(JobView.Id(job.Id));
                    wakeUps.Cancel(job.Id);
                }
            }
            return TypedResults.Ok(new Response(requeued, [], matched.Count, matched.Count == filter.Limit));
        }
        var source = DataSources.FromHeader(request.Headers[DataSources.Header]);
        var copies = matched.Select(j => (j, JobSpec.CopyOf(j) with
        {
            DataSource = source, IdempotencyKey = TokenSecret.Hash($"{j.Account}\nrequeue-of\n{JobView.Id(j.Id)}"),
        })).ToList();
        var ids = await jobs.ResubmitOnceAsync(copies, who, ct);
        foreach (var partition in matched.Select(j => j.Partition).Distinct()) wakeUps.Submitted(partition);
        var resubmitted = matched.Select((j, i) => new Copy(JobView.Id(j.Id), JobView.Id(ids[i]))).ToList();
        return TypedResults.Ok(new Response([], resubmitted, matched.Count, matched.Count == filter.Limit));
    }

    private static RequeueFilter? Parse(System.Text.Json.JsonElement root, Caller caller, FieldErrors errors)
    {
        if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            errors.Add("body", "The body must be a JSON object: {\"state\": \"FAILED\", \"reason\": \"NodeFail\", \"account\": \"...\", \"since\": \"...\"}.");
            return null;
        }
        foreach (var p in root.EnumerateObject())
            if (p.Name is not ("state" or "reason" or "account" or "since" or "limit"))
                errors.Add(p.Name.Length <= 64 ? p.Name : p.Name[..64], $"'{(p.Name.Length <= 64 ? p.Name : p.Name[..64])}' is not a field of a requeue filter (state, reason, account, since, limit).");
        var f = new JsonFields(root, "", errors);
        var stateText = f.String("state", 16);
        JobState state = default;
        if (stateText is null) errors.Add("state", "'state' is required: RUNNING, COMPLETED, FAILED or CANCELLED.");
        else if (!JobStateNames.TryParse(stateText, out state) || state == JobState.Pending)
            errors.Add("state", "'state' must be RUNNING, COMPLETED, FAILED or CANCELLED (a PENDING job is already in line).");
        var reason = f.String("reason", 64);
        var account = f.String("account", 128);
        if (account is not null && !caller.Owns(account))
            errors.Add("account", $"'account' must be your own account ('{caller.Account}'); only admins requeue other accounts' jobs.");
        DateTime? since = null;
        if (f.String("since", 64) is { } text)
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) since = at.UtcDateTime;
            else errors.Add("since", "'since' must be an ISO 8601 date and time such as 2026-12-01T02:00:00Z.");
        }
        var limit = f.Int("limit", 1, MaxJobs) ?? MaxJobs;
        return new RequeueFilter(state, reason, caller.IsAdmin ? account : caller.Account, since, limit);
    }
}
