namespace Conductor.Api.Auth;

/// <summary>Authentication switches (section <c>Conductor:Api</c>, next to the limits).</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// Serve anonymous requests (as the admin account "default") on a non-loopback address while
    /// no token exists. Only for networks where everyone who can reach the port may run code on
    /// the workers.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>Path prefixes served without a token (and "/" itself, the service information).</summary>
    public string[] OpenEndpoints { get; set; } = ["/health", "/metrics", "/openapi", "/docs", "/ui"];

    /// <summary>
    /// How long a token lookup (and "does any token exist") is reused before asking the database
    /// again; a revoked token therefore keeps working for up to this long (30 s by default).
    /// </summary>
    public double TokenCacheSeconds { get; set; } = 30;

    /// <summary>
    /// Origins (scheme://host[:port]) besides the API's own whose pages may change things (POST,
    /// PUT, PATCH, DELETE), e.g. a dashboard served elsewhere. A list, or one comma-separated value.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Host names (with or without port) accepted besides localhost, 127.0.0.1 and [::1] while
    /// the API serves anonymously on loopback, e.g. an /etc/hosts alias of 127.0.0.1.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];
}
