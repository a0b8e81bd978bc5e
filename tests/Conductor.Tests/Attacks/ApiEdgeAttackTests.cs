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
/// Issue 15, point 6: the edges of the HTTP API, attacked through the real API process on a real
/// loopback port (Kestrel, not the in-process test server, so Host, Origin and raw bytes reach
/// it as a browser or a hostile client would send them). Each attack must fail with a 4xx/503
/// problem+json and change nothing; the legitimate clients next to it must keep working.
/// </summary>
public sealed class ApiEdgeAttackTests(AnonymousApi api) : IClassFixture<AnonymousApi>
{
    private const string Evil = "http://evil.example";
    private const string SubmitBody = """{"job":{},"script":"true"}""";

    public static TheoryData<string, string, string?, string?, string?, string?, int> CrossSite => new()
    {
        // why, method + path ({pending}: a PENDING job), content type, body, Origin, Host, expected status
        { "a page posts text/plain JSON", "POST /jobs/submit", "text/plain", SubmitBody, Evil, null, 403 },
        { "a page posts text/plain with no Origin", "POST /jobs/submit", "text/plain", SubmitBody, null, null, 415 },
        { "a form post", "POST /jobs/submit", "application/x-www-form-urlencoded", "script=id", null, null, 415 },
        { "a multipart form", "POST /jobs/submit", "multipart/form-data; boundary=x", "--x--", null, null, 415 },
        { "a body with no Content-Type", "POST /jobs/submit", "", SubmitBody, null, null, 415 },
        { "JSON from another origin", "POST /jobs/submit", "application/json", SubmitBody, Evil, null, 403 },
        { "Origin null (sandboxed frame)", "POST /jobs/submit", "application/json", SubmitBody, "null", null, 403 },
        { "Origin of another port", "POST /jobs/submit", "application/json", SubmitBody, "http://127.0.0.1:1", null, 403 },
        { "Origin of another scheme", "POST /jobs/submit", "application/json", SubmitBody, "https://127.0.0.1:{port}", null, 403 },
        { "a bulk submit as text/plain", "POST /jobs/submit/bulk", "text/plain", $"[{SubmitBody}]", null, null, 415 },
        { "a cancel from another origin", "POST /jobs/cancel/{pending}", null, null, Evil, null, 403 },
        { "an empty form cancel", "POST /jobs/cancel/{pending}", "application/x-www-form-urlencoded", "", null, null, 415 },
        { "a resubmit from another origin", "POST /jobs/resubmit/{pending}", null, null, Evil, null, 403 },
        { "a schedule from another origin", "POST /scheduled-jobs", "application/json", AnonymousApi.Schedule, Evil, null, 403 },
        { "a schedule delete from another origin", "DELETE /scheduled-jobs/{schedule}", null, null, Evil, null, 403 },
        { "a schedule patch as text/plain", "PATCH /scheduled-jobs/{schedule}", "text/plain", """{"status":1}""", null, null, 415 },
        { "a rebound DNS name submits", "POST /jobs/submit", "application/json", SubmitBody, null, "evil.example:{port}", 421 },
        { "a rebound DNS name with its own Origin", "POST /jobs/submit", "application/json", SubmitBody, "http://evil.example:{port}", "evil.example:{port}", 421 },
        { "a rebound DNS name lists jobs", "GET /jobs", null, null, null, "evil.example:{port}", 421 },
        { "a rebound DNS name reads a job", "GET /jobs/query/{pending}", null, null, null, "evil.example", 421 },
        { "a rebound DNS name reads health", "GET /health", null, null, null, "evil.example:{port}", 421 },
        { "a name that resolves to loopback", "GET /jobs", null, null, null, "127.0.0.1.nip.io:{port}", 421 },
        { "localhost with a trailing dot", "GET /jobs", null, null, null, "localhost.:{port}", 421 },
    };

    [Theory]
    [MemberData(nameof(CrossSite))]
    public async Task CrossSiteOrReboundRequest_IsRefused_AndChangesNothing(
        string why, string request, string? contentType, string? body, string? origin, string? host, int status)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var schedules = await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE status = 0");

        var response = await api.SendAsync(request, contentType, body, origin, host);

        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(status, $"{why}: {text}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", why);
        JsonNode.Parse(text)!["field"]!.GetValue<string>().Should().BeOneOf("Origin", "Content-Type", "Host");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, $"{why} creates nothing");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE status = 0")).Should().Be(schedules, $"{why} changes no schedule");
        (await api.Database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {api.PendingJob}")).Should().Be("PENDING", $"{why} cancels nothing");
    }

    public static TheoryData<string, string, string?, string?, string?, string?, int> Legitimate => new()
    {
        { "an SCNS client: JSON, no Origin", "POST /jobs/submit", "application/json", SubmitBody, null, null, 201 },
        { "JSON with a charset", "POST /jobs/submit", "application/json; charset=utf-8", SubmitBody, null, null, 201 },
        { "the API's own origin", "POST /jobs/submit", "application/json", SubmitBody, "http://127.0.0.1:{port}", null, 201 },
        { "an allowed origin", "POST /jobs/submit", "application/json", SubmitBody, "https://dash.example", null, 201 },
        { "Host localhost", "POST /jobs/submit", "application/json", SubmitBody, null, "localhost:{port}", 201 },
        { "Host [::1]", "GET /jobs", null, null, null, "[::1]:{port}", 200 },
        { "Host 127.0.0.2 (loopback too)", "GET /jobs", null, null, null, "127.0.0.2", 200 },
        { "an allowed host name", "GET /jobs", null, null, null, "conductor.local:{port}", 200 },
        { "curl -X POST cancel: no body", "POST /jobs/cancel/{finished}", null, null, null, null, 200 },
        { "a read with a foreign Origin (the browser keeps the answer from the page)", "GET /jobs", null, null, Evil, null, 200 },
        { "health from the machine", "GET /health", null, null, null, null, 200 },
    };

    [Theory]
    [MemberData(nameof(Legitimate))]
    public async Task LegitimateClient_IsServed(string why, string request, string? contentType, string? body, string? origin, string? host, int status)
    {
        var response = await api.SendAsync(request, contentType, body, origin, host);

        ((int)response.StatusCode).Should().Be(status, $"{why}: {await response.Content.ReadAsStringAsync()}");
    }

    public static TheoryData<string, string, byte[], string> BrokenText => new()
    {
        // why, method + path, raw body, the field the 400 must name
        { "a lone high surrogate in the script", "POST /jobs/submit", Utf8("""{"job":{},"script":"echo \ud800"}"""), "script" },
        { "a lone low surrogate in the name", "POST /jobs/submit", Utf8("""{"job":{"name":"x\udc00"},"script":"true"}"""), "job.name" },
        { "a reversed surrogate pair", "POST /jobs/submit", Utf8("""{"job":{"partition":"\udc00\ud800"},"script":"true"}"""), "job.partition" },
        { "byte 0xFF in the name", "POST /jobs/submit", Raw("{\"job\":{\"name\":\"a", [0xFF], "\"},\"script\":\"true\"}"), "job.name" },
        { "a UTF-8 encoded surrogate", "POST /jobs/submit", Raw("{\"job\":{},\"script\":\"echo ", [0xED, 0xA0, 0x80], "\"}"), "script" },
        { "a truncated sequence", "POST /jobs/submit", Raw("{\"job\":{\"account\":\"al", [0xC3], "\"},\"script\":\"true\"}"), "job.account" },
        { "an overlong slash", "POST /jobs/submit", Raw("{\"job\":{\"current_working_directory\":\"/tmp", [0xC0, 0xAF], "\"},\"script\":\"true\"}"), "job.current_working_directory" },
        { "a lone surrogate in an environment value", "POST /jobs/submit", Utf8("""{"job":{"environment":{"A":"\ud800"}},"script":"true"}"""), "job.environment.A" },
        { "a lone surrogate in an environment name", "POST /jobs/submit", Utf8("""{"job":{"environment":{"A\ud800":"x"}},"script":"true"}"""), "job.environment" },
        { "a lone surrogate in a field nobody reads", "POST /jobs/submit", Utf8("""{"job":{},"script":"true","pad":"\ud800"}"""), "pad" },
        { "invalid UTF-8 in a top-level key", "POST /jobs/submit", Raw("{\"", [0xFF], "\":1,\"job\":{},\"script\":\"true\"}"), "body" },
        { "a lone surrogate in a bulk element", "POST /jobs/submit/bulk", Utf8("""[{"job":{},"script":"true"},{"job":{"account":"\ud800"},"script":"true"}]"""), "[1].job.account" },
        { "a lone surrogate in a schedule's template", "POST /scheduled-jobs", Utf8("""{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"\ud800"}}"""), "job_template.script" },
        { "NUL in a schedule's unread field (jsonb refuses it)", "POST /scheduled-jobs", Utf8("""{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"true","note":"\u0000"}}"""), "job_template.note" },
        { "invalid UTF-8 in a schedule patch", "PATCH /scheduled-jobs/{schedule}", Raw("{\"name\":\"n", [0xFE], "\"}"), "name" },
    };

    [Theory]
    [MemberData(nameof(BrokenText))]
    public async Task BrokenUnicodeInAJsonBody_Is400NamingTheField(string why, string request, byte[] body, string field)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs") + await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs");

        var response = await api.SendBytesAsync(request, body);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, $"{why}: {text}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", why);
        var problem = JsonNode.Parse(text)!;
        problem["field"]!.GetValue<string>().Should().Be(field, why);
        problem["errors"]![field].Should().NotBeNull(why);
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs") + await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs"))
            .Should().Be(before, $"{why} creates nothing");
    }

    public static TheoryData<string, string, string> TrailingNewline => new()
    {
        // why, method + path, body; each value ends in "\n", which ^...$ lets through
        { "job.account", "POST /jobs/submit", """{"job":{"account":"alice\n"},"script":"true"}""" },
        { "job.environment.FOO\n", "POST /jobs/submit", """{"job":{"environment":{"FOO\n":"x"}},"script":"true"}""" },
        { "job.partition", "POST /jobs/submit", """{"job":{"partition":"default\n"},"script":"true"}""" },
        { "job.name", "POST /jobs/submit", """{"job":{"name":"run\n"},"script":"true"}""" },
        { "[0].job.account", "POST /jobs/submit/bulk", """[{"job":{"account":"bob\n"},"script":"true"}]""" },
        { "name", "POST /scheduled-jobs", """{"name":"nightly\n","cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"true"}}""" },
        { "time_zone", "POST /scheduled-jobs", """{"cron":"0 0 0 1 1 *","time_zone":"UTC\n","status":0,"job_template":{"job":{},"script":"true"}}""" },
        { "job_template.job.account", "POST /scheduled-jobs", """{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{"account":"ops\n"},"script":"true"}}""" },
    };

    [Theory]
    [MemberData(nameof(TrailingNewline))]
    public async Task NameEndingInANewline_Is400NamingTheField(string field, string request, string body)
    {
        var response = await api.SendBytesAsync(request, Utf8(body));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        JsonNode.Parse(text)!["errors"]![field].Should().NotBeNull($"a trailing newline in '{field}' is refused: {text}");
    }

    [Fact]
    public async Task TokenCreate_RefusesAnAccountEndingInANewline()
    {
        var (code, output) = await ApiProcess.RunAsync(api.Database.ConnectionString, "token", "create", "--account", "alice\n");

        code.Should().NotBe(0, output);
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens")).Should().Be(0, "no token was created");
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Raw(string before, byte[] middle, string after) => [.. Utf8(before), .. middle, .. Utf8(after)];
}
