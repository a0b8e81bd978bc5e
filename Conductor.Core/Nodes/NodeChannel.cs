using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Conductor.Core.Nodes;

/// <summary>
/// The channel on which a worker serves its jobs' output to the API (docs/scaling.md, "Output
/// from any node"). Every request carries an HMAC-SHA256 of its method, path and query and the
/// time it was made, keyed with the node secret that the API and the workers share (a 0600 file
/// no job can read); the secret itself never travels. The worker accepts a request only within
/// <see cref="MaxSkew"/> of its own clock, so a captured request is worthless a minute later (and
/// it only ever re-reads the same bytes). Confidentiality of the bytes needs https on the channel.
/// </summary>
public static class NodeChannel
{
    public const string TimeHeader = "X-Conductor-Node-Time";
    public const string SignatureHeader = "X-Conductor-Node-Signature";
    public const string SizeHeader = "X-Conductor-Size";
    public const string ModifiedHeader = "X-Conductor-Modified";
    public const string WithheldHeader = "X-Conductor-Withheld";

    /// <summary>The most bytes one request returns.</summary>
    public const int MaxRangeBytes = 16 * 1024 * 1024;

    public const int MinSecretLength = 32;
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(60);

    /// <summary>The path of one output range: <c>/output/{id}/{stream}?offset=N&amp;limit=M</c>.</summary>
    public static string RangePath(long jobId, string stream, long offset, int limit) =>
        string.Create(CultureInfo.InvariantCulture, $"/output/{jobId}/{stream}?offset={offset}&limit={limit}");

    public static string Sign(string secret, string method, string pathAndQuery, long unixSeconds)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{method}\n{pathAndQuery}\n{unixSeconds}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Whether a request's time and signature are genuine (constant-time comparison).</summary>
    public static bool Verify(string secret, string method, string pathAndQuery, string? time, string? signature, DateTimeOffset now)
    {
        if (time is null || signature is null || !long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > MaxSkew.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, method, pathAndQuery, seconds));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }

    /// <summary>
    /// The secret from <paramref name="value"/>, else from <paramref name="file"/>, which must be
    /// a regular file nobody but its owner may read (mode 0600 or stricter); null when neither is set.
    /// </summary>
    public static string? LoadSecret(string? value, string? file)
    {
        var secret = value;
        if (string.IsNullOrEmpty(secret) && !string.IsNullOrEmpty(file))
        {
            var mode = OperatingSystem.IsWindows() ? UnixFileMode.None : File.GetUnixFileMode(file);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
                throw new InvalidOperationException($"The node secret file {file} may be read by others (mode {Convert.ToString((int)mode, 8)}); chmod 600 it.");
            secret = File.ReadAllText(file).Trim();
        }
        if (string.IsNullOrEmpty(secret)) return null;
        if (secret.Length < MinSecretLength)
            throw new InvalidOperationException($"The node secret must be at least {MinSecretLength} characters (scripts/make_node_secret.sh makes one).");
        return secret;
    }
}
