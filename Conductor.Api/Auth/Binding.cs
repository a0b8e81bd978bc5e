using System.Net;

namespace Conductor.Api.Auth;

/// <summary>
/// The addresses the API listens on (ASPNETCORE_URLS / --urls / Kestrel endpoints), and whether
/// all of them are loopback. A wildcard (*, +, 0.0.0.0, [::]) or any host name other than
/// localhost counts as reachable from outside.
/// </summary>
public sealed record Binding(IReadOnlyList<string> Urls)
{
    public bool IsLoopbackOnly => Urls.All(IsLoopback);

    public static Binding From(IConfiguration config, string urls)
    {
        var all = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        all.AddRange(config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        return new Binding(all);
    }

    public static bool IsLoopback(string url)
    {
        // Uri cannot parse the wildcards; they are exactly the non-loopback case.
        var host = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        host = host.Split('/')[0];
        if (host.StartsWith('['))
            host = host[1..Math.Max(1, host.IndexOf(']'))];
        else if (host.LastIndexOf(':') is var colon and > 0)
            host = host[..colon];
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }
}
