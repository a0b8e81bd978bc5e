using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conductor.Cli.Config;

namespace Conductor.Cli.Api;

/// <summary>
/// The REST API as the CLI uses it: a Bearer token, <c>X-Conductor-Client: cli</c> on every
/// request (jobs it submits carry data_source CLI), and an API error turned into one clear line.
/// </summary>
internal sealed class ApiClient(CliConfig config, HttpMessageHandler? handler = null) : IDisposable
{
    private readonly HttpClient _http = Create(config, handler);

    public string Url => config.Url;

    private static HttpClient Create(CliConfig config, HttpMessageHandler? handler)
    {
        if (!Uri.TryCreate(config.Url + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new CliException($"'{config.Url}' is not an http(s) URL (set --url, CONDUCTOR_URL or conductor login)");
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = baseUri;
        http.Timeout = Timeout.InfiniteTimeSpan;
        http.DefaultRequestHeaders.Add("X-Conductor-Client", "cli");
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("conductor-cli", "1.0"));
        if (config.Token is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken ct = default) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<JsonElement> PostAsync(string path, JsonNode? body, CancellationToken ct = default) => SendAsync(HttpMethod.Post, path, body, ct);

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        if (!response.IsSuccessStatusCode) throw new ApiException(response.StatusCode, Describe(response.StatusCode, text));
        if (text.Length == 0) return default;
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Sends, turning "cannot connect" into an <see cref="ApiUnreachableException"/>.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new ApiUnreachableException($"cannot reach the Conductor API at {config.Url}: {e.Message}");
        }
    }

    /// <summary>A problem+json answer as one line: the fields and what is wrong with each, else its detail or title.</summary>
    public static string Describe(HttpStatusCode status, string body)
    {
        var code = $"{(int)status} {ReasonPhrase(status)}";
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return code;
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                var parts = errors.EnumerateObject().Select(p =>
                    p.Value.ValueKind == JsonValueKind.Array ? string.Join(" ", p.Value.EnumerateArray().Select(m => m.ToString())) : p.Value.ToString());
                return string.Join("; ", parts) + $" ({code})";
            }
            var detail = Text(root, "detail") ?? Text(root, "title") ?? Text(root, "msg");
            return detail is null ? code : $"{detail} ({code})";
        }
        catch (JsonException)
        {
            return body.Length is > 0 and < 300 && !body.Contains('<') ? $"{body.Trim()} ({code})" : code;
        }
    }

    private static string ReasonPhrase(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Unauthorized: set a token with --token, CONDUCTOR_TOKEN or conductor login",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        _ => status.ToString(),
    };

    private static string? Text(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public void Dispose() => _http.Dispose();
}

/// <summary>The API answered with an error status.</summary>
internal class ApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>No answer at all: the API is down, restarting, or the URL is wrong.</summary>
internal sealed class ApiUnreachableException(string message) : Exception(message);
