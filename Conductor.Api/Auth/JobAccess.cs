using Conductor.Api.Jobs;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;

namespace Conductor.Api.Auth;

/// <summary>
/// The one place that decides which jobs a caller may see or touch: admins every job, everyone
/// else the jobs of their own account. A job the caller may not see does not exist for them
/// (404, never 403), so job ids cannot be probed. Every job endpoint goes through here:
/// <code>
/// var job = await access.FindAsync(caller, id, ct);     // or FindIdAsync for actions
/// if (job is null) return Problems.JobNotFound(id);
/// </code>
/// </summary>
internal sealed class JobAccess(JobStore jobs)
{
    /// <summary>The job, if it exists and the caller may see it.</summary>
    public async Task<Job?> FindAsync(Caller caller, string id, CancellationToken ct)
    {
        if (!long.TryParse(id, out var jobId) || jobId < 1) return null;
        var job = await jobs.GetAsync(jobId, ct);
        return job is not null && caller.Owns(job.Account) ? job : null;
    }

    /// <summary>
    /// The job as <c>GET /jobs/query</c> shows it (no script or environment) with its latest cores,
    /// if it exists and the caller may see it.
    /// </summary>
    public async Task<JobStatus?> FindStatusAsync(Caller caller, string id, CancellationToken ct)
    {
        if (!long.TryParse(id, out var jobId) || jobId < 1) return null;
        var status = await jobs.GetStatusAsync(jobId, ct);
        return status is not null && caller.Owns(status.Job.Account) ? status : null;
    }

    /// <summary>The job's id, if it exists and the caller may act on it; does not load the job.</summary>
    public async Task<long?> FindIdAsync(Caller caller, string id, CancellationToken ct)
    {
        if (!long.TryParse(id, out var jobId) || jobId < 1) return null;
        var account = await jobs.GetAccountAsync(jobId, ct);
        return account is not null && caller.Owns(account) ? jobId : null;
    }

    /// <summary>
    /// The account filter of a listing: admins get what they asked for (null = all); everyone
    /// else their own account. False when a non-admin asked for another account: an empty list.
    /// </summary>
    public static bool TryListAccount(Caller caller, string? requested, out string? account)
    {
        account = caller.IsAdmin ? requested : caller.Account;
        return caller.IsAdmin || requested is null || caller.Owns(requested);
    }

    /// <summary>
    /// The account a submission is charged to: the one named in the body, else the caller's.
    /// A non-admin naming another account is an error on <paramref name="field"/>.
    /// </summary>
    public static string SubmitAccount(Caller caller, string? requested, string field, FieldErrors errors)
    {
        if (requested is null) return caller.Account.Length > 0 ? caller.Account : Caller.AnonymousAccount;
        if (!caller.Owns(requested))
            errors.Add(field, $"'{field}' must be your own account ('{caller.Account}'); only admins submit for other accounts.");
        return requested;
    }
}
