namespace Conductor.Api.Jobs;

/// <summary>
/// The optional <c>Idempotency-Key</c> request header of the submit endpoints: a retry with the
/// same key and the same body gets the same jobs; the same key with another body is a 409.
/// </summary>
internal static class IdempotencyKey
{
    public const string Header = "Idempotency-Key";
    public const string Malformed = "The Idempotency-Key header must be at most 200 printable characters.";

    /// <returns>false for a malformed key; true with <paramref name="key"/> null when there is none.</returns>
    public static bool TryRead(HttpRequest request, out string? key)
    {
        var text = request.Headers[Header].ToString();
        key = text.Length == 0 ? null : text;
        return text.Length <= 200 && !text.Any(char.IsControl);
    }
}
