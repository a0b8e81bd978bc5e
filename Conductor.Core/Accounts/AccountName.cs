using System.Text.RegularExpressions;

namespace Conductor.Core.Accounts;

/// <summary>
/// What an account name may look like. Accounts end up in Redis keys, log lines and the
/// account → Unix user map, so they are kept to a plain, printable alphabet.
/// </summary>
public static partial class AccountName
{
    public const int MaxLength = 128;

    // \A...\z, not ^...$: '$' also matches before a final '\n', so "alice\n" would pass.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._@-]*\z")]
    private static partial Regex Pattern();

    public static bool IsValid(string name, int maxLength = MaxLength) =>
        name.Length > 0 && name.Length <= Math.Min(maxLength, MaxLength) && Pattern().IsMatch(name);
}
