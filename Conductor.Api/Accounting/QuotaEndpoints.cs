using Conductor.Api.Auth;
using Conductor.Api.Jobs;
using Conductor.Api.Messaging;
using Conductor.Core.Accounts;
using Conductor.Core.Quotas;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Accounting;

/// <summary>
/// <c>GET /accounts/{account}/quota</c> (the account itself or an admin) and <c>PUT</c> (admins):
/// max cores held and max running jobs of an account, per partition ("*" = each partition without
/// a row of its own). Jobs over it wait with reason AssocGrpCpuLimit or AssocMaxJobsLimit.
/// </summary>
internal static class QuotaEndpoints
{
    public sealed record Item(string Partition, int? MaxCpus, int? MaxRunningJobs, DateTime UpdatedAt);

    public sealed record Response(string Account, IReadOnlyList<Item> Quotas);

    public static async Task<Results<Ok<Response>, ProblemHttpResult>> Get(string account, Caller caller, UsageStore usage, CancellationToken ct)
    {
        if (!caller.Owns(account)) return HoldEndpoints.Forbidden("account", "Only the account itself or an admin may read its quota.");
        return TypedResults.Ok(await ViewAsync(account, usage, ct));
    }

    public static async Task<Results<Ok<Response>, ValidationProblem, ProblemHttpResult>> Put(
        string account, HttpRequest request, Caller caller, UsageStore usage, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        if (!caller.IsAdmin) return HoldEndpoints.Forbidden("Authorization", "Only admin tokens may set quotas.");
        if (!AccountName.IsValid(account, AccountName.MaxLength)) return Problems.Invalid("account", "'account' is not a valid account name.");
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, 16 * 1024, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        if (body.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
            return Problems.Invalid("body", "The body must be a JSON object: {\"partition\": \"*\", \"max_cpus\": 8, \"max_running_jobs\": 4}.");
        foreach (var p in body.RootElement.EnumerateObject())
            if (p.Name is not ("partition" or "max_cpus" or "max_running_jobs"))
                errors.Add(p.Name.Length <= 64 ? p.Name : p.Name[..64], "Not a field of a quota (partition, max_cpus, max_running_jobs).");
        var f = new JsonFields(body.RootElement, "", errors);
        var partition = f.String("partition", 64) ?? AccountQuota.AnyPartition;
        if (partition.Length == 0 || partition.Any(char.IsControl)) errors.Add("partition", "'partition' must be a partition name or \"*\".");
        var maxCpus = f.Int("max_cpus", 0, 1_000_000);
        var maxJobs = f.Int("max_running_jobs", 0, 1_000_000);
        if (errors.Any) return Problems.Invalid(errors);
        await usage.SetQuotaAsync(account, partition, maxCpus, maxJobs, ct);
        wakeUps.Submitted(partition); // a raised quota may let waiting jobs start
        return TypedResults.Ok(await ViewAsync(account, usage, ct));
    }

    private static async Task<Response> ViewAsync(string account, UsageStore usage, CancellationToken ct) =>
        new(account, (await usage.QuotasAsync(account, ct)).Select(q => new Item(q.Partition, q.MaxCpus, q.MaxRunningJobs, q.UpdatedAt)).ToList());
}
