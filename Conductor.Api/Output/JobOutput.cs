using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Conductor.Core.Files;
using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Output;

/// <summary>
/// Reads a byte range of a job's output: from the file system when the API shares it with the
/// job's node, else from that node's output channel (<see cref="NodeChannel"/>, served by the
/// worker's <c>Output/OutputServer</c>). The same rules hold either way (<see cref="OutputFile"/>):
/// the worker applies them to its own files. A node that does not answer within the configured
/// timeouts makes the read throw <see cref="NodeUnreachableException"/>: a clear 503, never a hang.
/// </summary>
public sealed class JobOutput : IDisposable
{
    private readonly NodeOutputOptions _options;
    private readonly IReadOnlyList<string> _trustedRoots;
    private readonly string? _secret;
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;

    public JobOutput(IOptions<NodeOutputOptions> options, IOptions<ApiOptions> api, IConfiguration config, TimeProvider clock)
    {
        _options = options.Value;
        _trustedRoots = api.Value.TrustedRoots;
        _clock = clock;
        _secret = NodeChannel.LoadSecret(config["Conductor:Node:Secret"], config["Conductor:Node:SecretFile"]);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (_options.CaFile is { Length: > 0 } caFile)
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustedByCa(cert, errors, ca);
        }
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds) };
    }

    public async Task<OutputRange> ReadAsync(Job job, string stream, long offset, int limit, CancellationToken ct)
    {
        var path = stream == "stderr" ? job.StderrPath : job.StdoutPath;
        if (job.RunUid is null || _options.BaseUrlOf(job.Node) is not { } baseUrl)
            return await OutputRange.ReadAsync(path, job.RunUid, _trustedRoots, offset, limit, ct);
        if (_secret is null) throw new NodeUnreachableException(job.Node!, "the API has no node secret (Conductor:Node:SecretFile)");
        return await ReadRemoteAsync(job.Node!, baseUrl, job.Id, stream, offset, Math.Min(limit, NodeChannel.MaxRangeBytes), ct);
    }

    private async Task<OutputRange> ReadRemoteAsync(string node, string baseUrl, long jobId, string stream, long offset, int limit, CancellationToken ct)
    {
        var pathAndQuery = NodeChannel.RangePath(jobId, stream, offset, limit);
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + pathAndQuery);
        request.Headers.Add(NodeChannel.TimeHeader, now.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(NodeChannel.SignatureHeader, NodeChannel.Sign(_secret!, "GET", pathAndQuery, now));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode == HttpStatusCode.NotFound) return OutputRange.Empty(offset, null); // moved on (a retry elsewhere)
            if (!response.IsSuccessStatusCode) throw new NodeUnreachableException(node, $"it answered {(int)response.StatusCode}");
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            var size = long.Parse(Header(response, NodeChannel.SizeHeader) ?? "0", CultureInfo.InvariantCulture);
            var modified = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(Header(response, NodeChannel.ModifiedHeader) ?? "0", CultureInfo.InvariantCulture)).UtcDateTime;
            var withheld = Header(response, NodeChannel.WithheldHeader) is { } w ? Uri.UnescapeDataString(w) : null;
            return new OutputRange(bytes, offset, size, modified, withheld);
        }
        catch (Exception e) when (e is HttpRequestException or FormatException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new NodeUnreachableException(node, e is TaskCanceledException ? $"no answer within {_options.TimeoutSeconds:0.#} s" : e.Message, e);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>A node certificate is good when it chains to the configured CA and names the host (no other errors).</summary>
    private static bool TrustedByCa(X509Certificate? cert, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (cert is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var leaf = cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        return chain.Build(leaf);
    }

    public void Dispose() => _http.Dispose();
}
