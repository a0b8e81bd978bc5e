using Conductor.Core.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Conductor.Core.Storage;

/// <summary>API tokens: create (returns the secret once), list, revoke, and look up by hash.</summary>
public sealed class TokenStore(IDbContextFactory<ConductorDbContext> contexts, TimeProvider clock)
{
    public async Task<(ApiToken Token, string Secret)> CreateAsync(string account, bool admin, CancellationToken ct)
    {
        var secret = TokenSecret.NewToken();
        var token = new ApiToken
        {
            Account = account, IsAdmin = admin, Hash = TokenSecret.Hash(secret), CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        ctx.ApiTokens.Add(token);
        await ctx.SaveChangesAsync(ct);
        return (token, secret);
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.ApiTokens.AsNoTracking().OrderBy(t => t.Id).ToListAsync(ct);
    }

    /// <summary>True when the token existed and is now revoked (revoking twice is still true).</summary>
    public async Task<bool> RevokeAsync(long id, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await ctx.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        return await ctx.ApiTokens.AnyAsync(t => t.Id == id, ct);
    }

    public async Task<ApiToken?> FindActiveAsync(string hash, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash && t.RevokedAt == null, ct);
    }

    /// <summary>Whether authentication is on: it is as soon as one unrevoked token exists.</summary>
    public async Task<bool> AnyActiveAsync(CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.ApiTokens.AnyAsync(t => t.RevokedAt == null, ct);
    }
}
