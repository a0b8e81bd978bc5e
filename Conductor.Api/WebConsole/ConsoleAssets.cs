using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Conductor.Api.WebConsole;

/// <summary>
/// The console's static files, embedded in the API assembly (wwwroot/ui, logical names
/// "ui/..."): nothing to deploy beside the binary and no file system path a request could
/// steer. Each file is held in memory with its gzip form and a content hash for ETags.
/// </summary>
internal sealed class ConsoleAssets
{
    private const string Prefix = "ui/";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8", [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml", [".txt"] = "text/plain; charset=utf-8", [".png"] = "image/png",
    }.ToFrozenDictionary();

    public sealed record Asset(string ContentType, byte[] Body, byte[]? Gzip, string ETag);

    /// <summary>Loaded once, on the first request for the console.</summary>
    public static ConsoleAssets Shared => LazyShared.Value;

    private static readonly Lazy<ConsoleAssets> LazyShared = new(() => new ConsoleAssets());

    private readonly FrozenDictionary<string, Asset> _assets = Load();

    public Asset? Find(string path) => _assets.GetValueOrDefault(path.Length == 0 ? "index.html" : path);

    public IEnumerable<string> Paths => _assets.Keys;

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var body = Read(assembly, name);
            var type = Types.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            var gzip = type.StartsWith("text/", StringComparison.Ordinal) || type.StartsWith("image/svg", StringComparison.Ordinal) ? Compress(body) : null;
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..16] + "\"";
            assets[name[Prefix.Length..]] = new Asset(type, body, gzip, etag);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static byte[] Compress(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize)) gzip.Write(body);
        return output.ToArray();
    }

    /// <summary>Whether the client takes gzip (any q above 0; nobody sends "gzip;q=0" in practice, but it means no).</summary>
    public static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.ToString().Split(',').Select(p => p.Trim())
            .Any(p => p.StartsWith("gzip", StringComparison.OrdinalIgnoreCase) && !p.Replace(" ", "", StringComparison.Ordinal).EndsWith("q=0", StringComparison.Ordinal));

    public static string CacheControl(string path) => path.StartsWith("vendor/", StringComparison.Ordinal) ? "public, max-age=86400" : "no-cache";

    public static string VaryHeader => HeaderNames.AcceptEncoding;
}
