using System.Net.Http.Headers;
using Conductor.Api.Auth;
using Conductor.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conductor.Tests.Infrastructure;

/// <summary>API tokens for tests: created through the API's own store, and clients that send them.</summary>
public static class Tokens
{
    /// <summary>Token lookups are cached; tests that add tokens after start set the cache to 0 s.</summary>
    public static Dictionary<string, string> NoCache() => new() { ["Conductor:Api:TokenCacheSeconds"] = "0" };

    public static async Task<string> CreateAsync(ClusterFixture cluster, string account, bool admin = false)
    {
        var (_, secret) = await cluster.Api.Services.GetRequiredService<TokenStore>().CreateAsync(account, admin, CancellationToken.None);
        cluster.Api.Services.GetRequiredService<TokenCache>().Clear();
        return secret;
    }

    public static ConductorClient ClientFor(ClusterFixture cluster, string? token)
    {
        var http = cluster.Api.CreateClient();
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ConductorClient(http);
    }
}
