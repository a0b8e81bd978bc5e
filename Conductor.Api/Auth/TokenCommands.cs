using Conductor.Core.Accounts;
using Conductor.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace Conductor.Api.Auth;

/// <summary>
/// <c>token create --account NAME [--admin]</c>, <c>token list</c>, <c>token revoke ID</c>: run by
/// the API executable before any web host exists, against the same configuration (appsettings,
/// environment). <c>create</c> prints the token alone on stdout, once; only its hash is stored.
/// </summary>
public static class TokenCommands
{
    private const string Usage = "usage: token create --account NAME [--admin] | token list | token revoke ID";

    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "token";

    public static async Task<int> RunAsync(string[] args)
    {
        var config = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables().Build();
        var services = new ServiceCollection().AddSingleton(TimeProvider.System)
            .AddConductorStorage(config.GetConnectionString("Postgres")).BuildServiceProvider();
        await using var _ = services;
        await services.GetRequiredService<IDbContextFactory<ConductorDbContext>>().MigrateAsync(CancellationToken.None);
        var store = services.GetRequiredService<TokenStore>();
        return args.ElementAtOrDefault(1) switch
        {
            "create" => await CreateAsync(store, args[2..]),
            "list" => await ListAsync(store),
            "revoke" when args.Length == 3 && long.TryParse(args[2], out var id) =>
                await RevokeAsync(store, id, config.GetValue("Conductor:Api:TokenCacheSeconds", new AuthOptions().TokenCacheSeconds)),
            _ => Fail(Usage),
        };
    }

    private static async Task<int> CreateAsync(TokenStore store, string[] args)
    {
        var account = args.SkipWhile(a => a != "--account").Skip(1).FirstOrDefault();
        if (account is null || !AccountName.IsValid(account))
            return Fail("token create needs --account NAME (1 to 128 letters or digits, any script, and . _ @ -). " + Usage);
        if (args.Except(["--account", account, "--admin"]).Any()) return Fail(Usage);
        var (token, secret) = await store.CreateAsync(account, args.Contains("--admin"), CancellationToken.None);
        await Console.Error.WriteLineAsync($"Created token {token.Id} for account '{token.Account}'{(token.IsAdmin ? " (admin)" : "")}. " +
                                           "It is shown only now; store it safely:");
        Console.WriteLine(secret);
        return 0;
    }

    private static async Task<int> ListAsync(TokenStore store)
    {
        Console.WriteLine("id\taccount\tadmin\tcreated_at\trevoked_at");
        foreach (var t in await store.ListAsync(CancellationToken.None))
            Console.WriteLine($"{t.Id}\t{t.Account}\t{(t.IsAdmin ? "yes" : "no")}\t{t.CreatedAt:O}\t{t.RevokedAt?.ToString("O") ?? "-"}");
        return 0;
    }

    /// <summary>
    /// Running APIs keep a token lookup for <see cref="AuthOptions.TokenCacheSeconds"/>, so the
    /// revocation is not immediate; the output says how long it may take.
    /// </summary>
    private static async Task<int> RevokeAsync(TokenStore store, long id, double cacheSeconds)
    {
        if (!await store.RevokeAsync(id, CancellationToken.None)) return Fail($"No token with id {id}.");
        await Console.Error.WriteLineAsync(
            $"Token {id} is revoked. This takes effect within {cacheSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s: running APIs keep accepting it until " +
            "their token cache forgets it (Conductor__Api__TokenCacheSeconds).");
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
