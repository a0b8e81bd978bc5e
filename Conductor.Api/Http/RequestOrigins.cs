using System.Net;
using Microsoft.Net.Http.Headers;

namespace Conductor.Api.Http;

/// <summary>
/// The pure rules behind <see cref="RequestGuard"/>: which Host names count as this machine,
/// whether an Origin is the API's own, and which bodies are JSON. A browser can send a
/// cross-site POST with <c>text/plain</c>, a form type or no body without asking first (no CORS
/// preflight); it always sends <c>Origin</c> with it, and it cannot send <c>application/json</c>
/// cross-site without a preflight the API never grants.
/// </summary>
internal static class RequestOrigins
{
    /// <summary>localhost, 127.0.0.0/8 or ::1, with any port; a name a browser resolved by DNS is none of these.</summary>
    public static bool IsLoopbackHost(HostString host)
    {
        var name = host.Host;
        if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (name.StartsWith('[') && name.EndsWith(']')) name = name[1..^1];
        return IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip);
    }

    public static bool IsListed(HostString host, IReadOnlyCollection<string> hosts) =>
        hosts.Any(h => string.Equals(h, host.Host, StringComparison.OrdinalIgnoreCase)
                       || string.Equals(h, host.Value, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether <paramref name="origin"/> is the request's own scheme://host:port (default ports
    /// made explicit) or one of <paramref name="allowed"/>. <c>null</c> (sandboxed frames, file://)
    /// and anything unparsable are foreign.
    /// </summary>
    public static bool IsSameOrAllowed(string origin, HttpRequest request, IReadOnlyCollection<string> allowed)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || from.AbsolutePath != "/" || from.UserInfo.Length > 0) return false;
        if (allowed.Any(a => Uri.TryCreate(a, UriKind.Absolute, out var ok) && SameOrigin(from, ok))) return true;
        return Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var self) && SameOrigin(from, self);
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary><c>application/json</c> or a <c>+json</c> type (e.g. merge-patch), any parameters.</summary>
    public static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type) return false;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
