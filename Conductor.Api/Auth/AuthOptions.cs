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

    /// <summary>Path prefixes served without a token.</summary>
    public string[] OpenEndpoints { get; set; } = ["/health", "/metrics"];

    /// <summary>How long a token lookup (and "does any token exist") is reused before asking the database again.</summary>
    public double TokenCacheSeconds { get; set; } = 30;
}
