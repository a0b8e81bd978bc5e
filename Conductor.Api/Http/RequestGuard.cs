using Conductor.Api.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Http;

/// <summary>
/// Keeps web pages the operator happens to visit away from the API, before authentication:
/// <list type="bullet">
/// <item>DNS rebinding: while the API serves anonymously on loopback, a request whose Host is
/// not a loopback name or address (nor in <see cref="AuthOptions.AllowedHosts"/>) came through
/// a name some page controls: 421, on every path.</item>
/// <item>Cross-site requests: a state-changing request (POST, PUT, PATCH, DELETE) that carries
/// an <c>Origin</c> other than the API's own (or <see cref="AuthOptions.AllowedOrigins"/>): 403,
/// with or without tokens.</item>
/// <item>Simple bodies: a state-changing request with a body (or a Content-Type) that is not
/// JSON: 415. Browsers send text/plain and form bodies cross-site without a CORS preflight.</item>
/// </list>
/// SCNS clients and curl send JSON without an Origin and pass untouched. Only a foreign Host
/// costs a token-cache lookup (to learn whether the API is anonymous).
/// </summary>
public sealed class RequestGuard(RequestDelegate next, TokenCache tokens, Binding binding, IOptions<AuthOptions> options, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var settings = options.Value;
        if (!RequestOrigins.IsLoopbackHost(request.Host) && request.Host.HasValue && !RequestOrigins.IsListed(request.Host, settings.AllowedHosts)
            && binding.IsLoopbackOnly && await IsAnonymousAsync(context.RequestAborted))
        {
            await RejectAsync(context, StatusCodes.Status421MisdirectedRequest, "Host", "Unexpected Host.",
                "This API serves anonymously on loopback only: the Host header must be localhost, 127.0.0.1 or [::1] " +
                "(or a name in Conductor:Api:AllowedHosts).");
            return;
        }
        if (!IsStateChanging(request.Method))
        {
            await next(context);
            return;
        }
        if (request.Headers.Origin.ToString() is { Length: > 0 } origin && !RequestOrigins.IsSameOrAllowed(origin, request, settings.AllowedOrigins))
        {
            await RejectAsync(context, StatusCodes.Status403Forbidden, "Origin", "Cross-origin request refused.",
                "A request from another origin may not change anything; list trusted origins in Conductor:Api:AllowedOrigins.");
            return;
        }
        if (HasBody(context) && !RequestOrigins.IsJson(request.ContentType))
        {
            await RejectAsync(context, StatusCodes.Status415UnsupportedMediaType, "Content-Type", "Unsupported media type.",
                "The request body must be JSON, sent with 'Content-Type: application/json'.");
            return;
        }
        await next(context);
    }

    private static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    /// <summary>A declared type counts even with an empty body: an empty form POST is still a form POST.</summary>
    private static bool HasBody(HttpContext context) =>
        context.Request.ContentType is not null
        || context.Request.ContentLength > 0
        || (context.Request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);

    /// <summary>No token exists, so the API serves anyone it is reached by. Unknown (store down) counts as anonymous.</summary>
    private async Task<bool> IsAnonymousAsync(CancellationToken ct)
    {
        try
        {
            return !await tokens.AuthRequiredAsync(ct);
        }
        catch (Exception e) when (StoreOutage.IsOutage(e))
        {
            return true;
        }
    }

    private Task RejectAsync(HttpContext context, int status, string field, string title, string detail)
    {
        context.Response.StatusCode = status;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["field"] = field } },
        }).AsTask();
    }
}
