using System.Reflection;
using System.Security.Claims;

namespace Conductor.Api.Auth;

/// <summary>
/// Who is asking: the account of the bearer token (or "default" when authentication is off) and
/// whether it may act for every account. An endpoint gets it by declaring a <c>Caller caller</c>
/// parameter (minimal APIs call <see cref="BindAsync"/>); a request that did not pass through
/// authentication binds to <see cref="Nobody"/>, which sees nothing.
/// </summary>
public sealed record Caller(string Account, bool IsAdmin)
{
    public const string AnonymousAccount = "default";
    private const string AccountClaim = "conductor:account";
    private const string AdminClaim = "conductor:admin";

    public static readonly Caller Nobody = new("", false);

    /// <summary>
    /// Who a schedule's job templates are parsed and submitted as. Only admins manage schedules
    /// (<see cref="AdminOnly"/>), so a template may name any account.
    /// </summary>
    public static readonly Caller Scheduler = new(AnonymousAccount, true);

    /// <summary>An endpoint filter: non-admin callers get 403 (schedules act for any account).</summary>
    public static async ValueTask<object?> AdminOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        From(context.HttpContext.User).IsAdmin
            ? await next(context)
            : TypedResults.Problem(detail: "Only admin tokens may manage schedules.", statusCode: StatusCodes.Status403Forbidden,
                title: "Forbidden.", extensions: new Dictionary<string, object?> { ["field"] = "Authorization" });

    /// <summary>Whether this caller may see and act on things that belong to <paramref name="account"/>.</summary>
    public bool Owns(string account) => IsAdmin || (Account.Length > 0 && string.Equals(account, Account, StringComparison.Ordinal));

    public ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [new Claim(AccountClaim, Account), new Claim(AdminClaim, IsAdmin ? "true" : "false")], scheme, AccountClaim, null));

    public static Caller From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirst(AccountClaim) is not { } account) return Nobody;
        return new Caller(account.Value, user.FindFirst(AdminClaim)?.Value == "true");
    }

    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo _) => ValueTask.FromResult<Caller?>(From(context.User));
}
