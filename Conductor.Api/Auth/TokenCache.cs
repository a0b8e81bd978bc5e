using System.Collections.Concurrent;
using Conductor.Core.Accounts;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Auth;

/// <summary>
/// Keeps token lookups for a short while so authentication does not cost a database round trip
/// per request. Consequence, by design: a revoked token keeps working for up to
/// <see cref="AuthOptions.TokenCacheSeconds"/>, and the first token created turns authentication
/// on within the same delay. Unknown tokens are not cached (an attacker must not fill memory).
/// </summary>
public sealed class TokenCache(TokenStore tokens, TimeProvider clock, IOptions<AuthOptions> options)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (ApiToken Token, DateTime Until)> _byHash = new(StringComparer.Ordinal);
    private (bool Any, DateTime Until)? _any;

    private TimeSpan Ttl => TimeSpan.FromSeconds(options.Value.TokenCacheSeconds);
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Whether any unrevoked token exists, i.e. whether every request needs one.</summary>
    public async Task<bool> AuthRequiredAsync(CancellationToken ct)
    {
        if (_any is { } cached && cached.Until > Now) return cached.Any;
        try
        {
            var any = await tokens.AnyActiveAsync(ct);
            _any = (any, Now + Ttl);
            return any;
        }
        catch (Exception) when (_any is { Any: true })
        {
            // Database unreachable: keep requiring tokens rather than fall open.
            return true;
        }
    }

    public async Task<ApiToken?> FindAsync(string secret, CancellationToken ct)
    {
        var hash = TokenSecret.Hash(secret);
        if (_byHash.TryGetValue(hash, out var hit) && hit.Until > Now) return hit.Token;
        var token = await tokens.FindActiveAsync(hash, ct);
        if (token is null)
        {
            _byHash.TryRemove(hash, out _);
            return null;
        }
        if (_byHash.Count >= MaxEntries) _byHash.Clear();
        _byHash[hash] = (token, Now + Ttl);
        return token;
    }

    /// <summary>Forgets everything (tests, and the CLI running in-process).</summary>
    public void Clear()
    {
        _byHash.Clear();
        _any = null;
    }
}
