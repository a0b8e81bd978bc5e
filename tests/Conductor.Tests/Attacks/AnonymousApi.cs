using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Tests.Attacks;

/// <summary>
/// The real API process, anonymous on a loopback port (no token exists), with one allowed origin
/// and host. Holds a PENDING job, a finished job and a disabled schedule for the attacks to aim at.
/// </summary>
public sealed class AnonymousApi : IAsyncLifetime
{
    public const string Schedule = """{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"true"}}""";

    private ApiProcess _process = null!;
    public TestDatabase Database { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public int Port { get; private set; }
    public long PendingJob { get; private set; }
    public long FinishedJob { get; private set; }
    public long ScheduleId { get; private set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        (_process, Http, Port) = await RealApi.StartAsync(Database.ConnectionString, new Dictionary<string, string>
        {
            ["Conductor__Api__AllowedOrigins"] = "https://dash.example, https://other.example",
            ["Conductor__Api__AllowedHosts"] = "conductor.local",
        });
        PendingJob = await RealApi.SubmitAsync(Http);
        FinishedJob = await RealApi.SubmitAsync(Http);
        await Database.ExecuteAsync($"UPDATE jobs SET state = 'COMPLETED', start_time = now(), end_time = now() WHERE id = {FinishedJob}");
        var created = await Http.PostAsync("/scheduled-jobs", new StringContent(Schedule, Encoding.UTF8, "application/json"));
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        ScheduleId = long.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
    }

    public async Task<HttpResponseMessage> SendAsync(string request, string? contentType, string? body, string? origin, string? host)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Split(' ')[0]), Expand(request[(request.IndexOf(' ') + 1)..]));
        if (body is not null)
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is { Length: > 0 }) message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        else if (contentType is not null)
        {
            message.Content = new ByteArrayContent([]);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        if (origin is not null) message.Headers.TryAddWithoutValidation("Origin", Expand(origin));
        if (host is not null) message.Headers.Host = Expand(host);
        return await Http.SendAsync(message);
    }

    public Task<HttpResponseMessage> SendBytesAsync(string request, byte[] body)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Split(' ')[0]), Expand(request[(request.IndexOf(' ') + 1)..]))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        return Http.SendAsync(message);
    }

    private string Expand(string text) => text.Replace("{port}", Port.ToString()).Replace("{pending}", PendingJob.ToString())
        .Replace("{finished}", FinishedJob.ToString()).Replace("{schedule}", ScheduleId.ToString());

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}

/// <summary>Starting the API executable on a free loopback port and waiting until it serves.</summary>
internal static class RealApi
{
    public static async Task<(ApiProcess Process, HttpClient Http, int Port)> StartAsync(string connectionString, IDictionary<string, string>? env = null)
    {
        var port = ApiProcess.FreePort();
        var process = ApiProcess.Start(connectionString, ["--urls", $"http://127.0.0.1:{port}"], env);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var status = await Eventually.Until(async () => process.HasExited ? HttpStatusCode.Gone : await TryGetAsync(http, "/health"),
            s => s is not null, TimeSpan.FromSeconds(60), "the API answers /health");
        status.Should().Be(HttpStatusCode.OK, process.Output);
        return (process, http, port);
    }

    public static async Task<long> SubmitAsync(HttpClient http, object? job = null)
    {
        var response = await http.PostAsync("/jobs/submit", JsonBody(new { job = job ?? new { }, script = "true" }));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return long.Parse(JsonNode.Parse(body)!["job_id"]!.GetValue<string>());
    }

    public static StringContent JsonBody(object value) => new(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            return (await http.GetAsync(path)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
