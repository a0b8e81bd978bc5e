namespace Conductor.Core.Accounts;

/// <summary>
/// A bearer token of the HTTP API. Only the SHA-256 of the token is stored: the token itself is
/// shown once, when it is created, and cannot be recovered from the database.
/// </summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public string Account { get; set; } = "";
    public bool IsAdmin { get; set; }

    /// <summary>Lower-case hex SHA-256 of the token's text.</summary>
    public string Hash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
