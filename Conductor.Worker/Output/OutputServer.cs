using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Conductor.Core.Files;
using Conductor.Core.Nodes;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conductor.Worker.Output;

/// <summary>
/// Serves this node's job output to the API (<see cref="NodeChannel"/>): <c>GET
/// /output/{id}/{stream}?offset&amp;limit</c>, signed with the node secret. Only for a job whose
/// current attempt runs or ran on this node, and only what the API itself would serve: the file
/// the job's row names, a regular file owned by the job's uid, reached with no link
/// (<see cref="OutputFile"/>). The body is the raw bytes; size, modification time and the reason
/// for a withheld file travel in headers. Nothing else is served: no listing, no other path.
/// </summary>
internal sealed class OutputServer(
    IOptions<OutputOptions> output, IOptions<WorkerOptions> worker, IConfiguration config, JobStore jobs,
    TimeProvider clock, ILogger<OutputServer> log) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken ct)
    {
        var listen = output.Value.Listen;
        if (string.IsNullOrWhiteSpace(listen)) return;
        var secret = NodeChannel.LoadSecret(config["Conductor:Node:Secret"], config["Conductor:Node:SecretFile"])
            ?? throw new InvalidOperationException("Conductor:Worker:Output:Listen is set but no node secret (Conductor:Node:Secret or Conductor:Node:SecretFile).");
        // An empty builder: no configuration files (whose reload would watch the content root
        // recursively, the whole file system when the worker runs from /) and only Kestrel's core.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore();
        var url = new Uri(listen);
        var address = url.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.Host.Trim('[', ']'));
        var certificate = url.Scheme == Uri.UriSchemeHttps
            ? X509Certificate2.CreateFromPemFile(output.Value.CertificateFile ?? throw new InvalidOperationException(
                "Conductor:Worker:Output:Listen is https but Conductor:Worker:Output:CertificateFile is not set."), output.Value.KeyFile)
            : null;
        if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, url.Port, o =>
        {
            if (certificate is not null) o.UseHttps(certificate);
        }));
        _app = builder.Build();
        _app.MapGet("/output/{id:long}/{stream}", (long id, string stream, HttpContext http) => ServeAsync(id, stream, secret, http));
        await _app.StartAsync(ct);
        log.LogInformation("Serving job output of node {Node} on {Listen}", worker.Value.NodeName, listen);
    }

    private async Task ServeAsync(long id, string stream, string secret, HttpContext http)
    {
        var request = http.Request;
        var signed = NodeChannel.Verify(secret, request.Method, request.Path + request.QueryString,
            request.Headers[NodeChannel.TimeHeader], request.Headers[NodeChannel.SignatureHeader], clock.GetUtcNow());
        if (!signed)
        {
            log.LogWarning("Refused an unsigned or stale output request from {Remote}", http.Connection.RemoteIpAddress);
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (stream is not ("stdout" or "stderr")
            || !long.TryParse(request.Query["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || !int.TryParse(request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            || limit > NodeChannel.MaxRangeBytes)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var job = await jobs.GetAsync(id, http.RequestAborted);
        if (job is null || job.Node != worker.Value.NodeName)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var path = stream == "stderr" ? job.StderrPath : job.StdoutPath;
        var range = await OutputRange.ReadAsync(path, job.RunUid, TrustedRoots, offset, limit, http.RequestAborted);
        var headers = http.Response.Headers;
        headers[NodeChannel.SizeHeader] = range.Size.ToString(CultureInfo.InvariantCulture);
        headers[NodeChannel.ModifiedHeader] = new DateTimeOffset(DateTime.SpecifyKind(range.Modified, DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        if (range.Withheld is { } why) headers[NodeChannel.WithheldHeader] = Uri.EscapeDataString(why);
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = range.Bytes.Length;
        await http.Response.Body.WriteAsync(range.Bytes, http.RequestAborted);
    }

    private IReadOnlyList<string> TrustedRoots => [.. worker.Value.EffectiveAllowedRoots, worker.Value.DataDir];

    public async Task StopAsync(CancellationToken ct)
    {
        if (_app is not null) await _app.StopAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
