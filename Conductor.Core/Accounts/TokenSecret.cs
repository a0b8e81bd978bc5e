using System.Security.Cryptography;
using System.Text;

namespace Conductor.Core.Accounts;

/// <summary>
/// Makes and hashes API tokens. A token is 32 random bytes (base64url, prefixed <c>cnd_</c> so a
/// leaked one is recognisable in a secret scanner). 256 bits of entropy make a plain, unsalted
/// SHA-256 sufficient: there is nothing to brute-force, unlike a password.
/// </summary>
public static class TokenSecret
{
    public const string Prefix = "cnd_";

    public static string NewToken() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
