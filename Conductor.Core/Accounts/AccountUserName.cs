using System.Security.Cryptography;
using System.Text;

namespace Conductor.Core.Accounts;

/// <summary>
/// The Unix user name an account's jobs run as: <c>cj-&lt;account&gt;</c> when the account is
/// already a portable lower-case name (<c>[a-z0-9_-]</c>) short enough for the 32 characters
/// useradd allows; otherwise its sanitised, shortened form plus a short hash of the account, so
/// that accounts that sanitise alike (<c>Alice</c>, <c>alice</c>, <c>a.lice</c>) still get different names.
/// </summary>
public static class AccountUserName
{
    public const string Prefix = "cj-";
    public const int MaxLength = 32;
    private const int HashLength = 8;

    public static string For(string account)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        var clean = Sanitise(account);
        if (clean == account && Prefix.Length + clean.Length <= MaxLength) return Prefix + clean;
        var room = MaxLength - Prefix.Length - 1 - HashLength;
        return $"{Prefix}{clean[..Math.Min(clean.Length, room)]}-{Hash(account)}";
    }

    private static string Sanitise(string account)
    {
        var chars = account.ToLowerInvariant().Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' ? c : '_');
        return string.Concat(chars);
    }

    private static string Hash(string account) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(account)))[..HashLength];
}
