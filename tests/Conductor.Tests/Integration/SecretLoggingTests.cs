using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>A secret-looking environment value never appears in the API's or the worker's logs, even at Debug.</summary>
public sealed class SecretLoggingTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private string _dataDir = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _dataDir = TestEnvironment.NewScratchDir(nameof(SecretLoggingTests));
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task SecretEnvironmentValue_NeverAppearsInApiOrWorkerLogs()
    {
        var secret = $"wJalrXUtnFEMI/K7MDENG/{Guid.NewGuid():N}";
        var port = ApiProcess.FreePort();
        await using var api = ApiProcess.Start(_db.ConnectionString, ["--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string> { ["LOG_LEVEL"] = "Verbose" });
        await using var worker = WorkerProcess.Start(new WorkerSettings(_db.ConnectionString, $"node-{Guid.NewGuid():N}"[..13], _dataDir));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.Until(async () => await ServesAsync(http) || api.HasExited, up => up, TimeSpan.FromSeconds(60), "the API serves");

        var ok = await SubmitAndFinishAsync(http, secret, "echo ${#AWS_SECRET_ACCESS_KEY}");
        var failed = await SubmitAndFinishAsync(http, secret, "exit 7");

        ok["state"]!.GetValue<string>().Should().Be("COMPLETED", worker.Output);
        ok["job_log"]!["stdout"]!.GetValue<string>().Should().Be($"{secret.Length}\n", "the job did get the secret");
        failed["state"]!.GetValue<string>().Should().Be("FAILED");
        api.Output.Should().NotBeEmpty().And.NotContain(secret, "the API never logs environment values");
        worker.Output.Should().Contain("started").And.NotContain(secret, "the worker never logs environment values");
    }

    private static async Task<JsonNode> SubmitAndFinishAsync(HttpClient http, string secret, string script)
    {
        var response = await http.PostAsJsonAsync("/jobs/submit", new
        {
            job = new { environment = new Dictionary<string, string> { ["AWS_SECRET_ACCESS_KEY"] = secret, ["DB_PASSWORD"] = secret } }, script,
        });
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<string>();
        return await Eventually.Until(async () => JsonNode.Parse(await http.GetStringAsync($"/jobs/query/{id}"))!,
            j => j["state"]!.GetValue<string>() is "COMPLETED" or "FAILED" or "CANCELLED", TimeSpan.FromSeconds(60), $"job {id} finishes");
    }

    private static async Task<bool> ServesAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/jobs?limit=1")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
