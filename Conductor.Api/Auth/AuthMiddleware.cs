using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Auth;

/// <summary>
/// Bearer-token authentication for every path except the open ones. The rule:
/// - some unrevoked token exists → a valid <c>Authorization: Bearer</c> token is required;
/// - no token exists → anonymous requests act as the admin account "default", but only while
///   the API listens on loopback (or AllowAnonymous says the network is trusted); otherwise
///   401, so revoking the last token of an exposed API never opens it.
/// Failures answer 401 problem+json naming the Authorization header, never which tokens exist.
/// </summary>
public sealed class AuthMiddleware(
    RequestDelegate next, TokenCache tokens, Binding binding, IOptions<AuthOptions> options, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (IsOpen(context.Request.Path))
        {
            await next(context);
            return;
        }
        var ct = context.RequestAborted;
        if (!await tokens.AuthRequiredAsync(ct))
        {
            if (!AnonymousAllowed)
            {
                await RejectAsync(context, "No API token exists and this API listens beyond loopback: create one with 'token create'.");
                return;
            }
            context.User = new Caller(Caller.AnonymousAccount, IsAdmin: true).ToPrincipal("anonymous");
            await next(context);
            return;
        }
        var secret = BearerToken(context.Request);
        if (secret is null)
        {
            await RejectAsync(context, "This API requires 'Authorization: Bearer <token>'.");
            return;
        }
        var token = await tokens.FindAsync(secret, ct);
        if (token is null)
        {
            await RejectAsync(context, "The bearer token is unknown or revoked.");
            return;
        }
        context.User = new Caller(token.Account, token.IsAdmin).ToPrincipal("bearer");
        await next(context);
    }

    public bool AnonymousAllowed => binding.IsLoopbackOnly || options.Value.AllowAnonymous;

    /// <remarks>"/" (the service information) only as itself: as a prefix it would open everything.</remarks>
    private bool IsOpen(PathString path) =>
        path.Value == "/" ||
        options.Value.OpenEndpoints.Any(open => path.Equals(open, StringComparison.OrdinalIgnoreCase)
                                                || path.StartsWithSegments(open, StringComparison.OrdinalIgnoreCase));

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var token = header[scheme.Length..].Trim();
        // Tokens are short base64url text; anything else cannot match and is not worth hashing.
        return token.Length is > 0 and <= 256 ? token : null;
    }

    private Task RejectAsync(HttpContext context, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized, Title = "Authentication required.", Detail = detail,
                Extensions = { ["field"] = "Authorization" },
            },
        }).AsTask();
    }
}
