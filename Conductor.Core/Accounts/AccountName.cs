using System.Text.RegularExpressions;

namespace Conductor.Core.Accounts;

/// <summary>
/// What an account name may look like: 1 to 128 Unicode letters and digits (<c>项目A</c>, as
/// SCNS-Conductor allows), combining marks after the first character, and <c>.</c>, <c>_</c>,
/// <c>@</c>, <c>-</c>. Accounts end up in Redis keys, log lines and the account → Unix user map;
/// they are never a path or a user name as such (<see cref="AccountUserName"/> maps them). No
/// spaces, controls, invisible format characters (zero-width joiners, direction overrides) or
/// symbols. Names are compared as written, code point for code point, as SCNS does: the API
/// runs without ICU, so it does not normalise; an account is only ever reached with its token.
/// </summary>
public static partial class AccountName
{
    /// <summary>The jobs.account column's length; SCNS allows 255, a deliberate difference.</summary>
    public const int MaxLength = 128;

    // \A...\z, not ^...$: '$' also matches before a final '\n', so "alice\n" would pass.
    [GeneratedRegex(@"\A[\p{L}\p{Nd}][\p{L}\p{Nd}\p{M}._@-]*\z")]
    private static partial Regex Pattern();

    public static bool IsValid(string name, int maxLength = MaxLength) =>
        name.Length > 0 && name.Length <= Math.Min(maxLength, MaxLength) && Pattern().IsMatch(name);
}
