namespace Conductor.Api.Auth;

/// <summary>
/// <c>GET /auth/whoami</c>: the account the calling token acts as and whether it is an admin.
/// The console signs in with it (a wrong token is the middleware's 401); scripts check which
/// token they hold. Says nothing about other tokens.
/// </summary>
internal static class WhoAmIEndpoint
{
    public sealed record Response(string Account, bool Admin);

    public static Response Handle(Caller caller) => new(caller.Account, caller.IsAdmin);
}
