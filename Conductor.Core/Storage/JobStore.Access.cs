using Microsoft.EntityFrameworkCore;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>The account a job belongs to, without loading its script; null when it does not exist.</summary>
    public async Task<string?> GetAccountAsync(long id, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.Where(j => j.Id == id).Select(j => j.Account).FirstOrDefaultAsync(ct);
    }

    /// <summary>PENDING jobs of an account: the "jobs pending at once" limit.</summary>
    public async Task<int> CountPendingAsync(string account, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.CountAsync(j => j.Account == account && j.State == Jobs.JobState.Pending, ct);
    }
}
