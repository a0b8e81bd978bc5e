namespace Conductor.Api.WebConsole;

/// <summary>
/// <c>GET /ui/{path}</c>: the console's files, open (no token: they hold no data; every call the
/// page makes carries the user's bearer token). Every answer carries a strict
/// Content-Security-Policy: scripts and styles only from this origin, nothing inline, no frames,
/// no forms posting anywhere, API calls only to this origin. Job output and names are put in
/// the page as text by the scripts, and the policy is the second wall if one ever is not.
/// </summary>
internal static class ConsoleEndpoint
{
    public const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
                                 "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IResult Handle(string? path, HttpContext context)
    {
        var response = context.Response;
        Secure(response);
        var asset = ConsoleAssets.Shared.Find(path ?? "");
        if (asset is null) return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: "No such console file.");
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = ConsoleAssets.CacheControl(path ?? "");
        response.Headers.Vary = ConsoleAssets.VaryHeader;
        if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        if (asset.Gzip is { } gzip && ConsoleAssets.AcceptsGzip(context.Request))
        {
            response.Headers.ContentEncoding = "gzip";
            return Results.Bytes(gzip, asset.ContentType);
        }
        return Results.Bytes(asset.Body, asset.ContentType);
    }

    /// <summary>"/ui" itself: to "/ui/" so the page's relative links resolve under it.</summary>
    /// <remarks>Routing matches "/ui/" here too (a trailing slash is ignored): that one is the index page.</remarks>
    public static IResult Root(HttpContext context)
    {
        if (context.Request.Path.Value?.EndsWith('/') == true) return Handle("", context);
        Secure(context.Response);
        return Results.Redirect("/ui/");
    }

    private static void Secure(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
