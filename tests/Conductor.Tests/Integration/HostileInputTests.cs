using System.Net;
using System.Text;
using Conductor.Core.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// Malformed and hostile requests: each gets a 4xx problem+json, creates nothing, and leaves the
/// API serving. A node is registered so that partitions and sizes are checked too.
/// </summary>
public sealed class HostileInputTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>, IAsyncLifetime
{
    private const string Sql = "'; DROP TABLE jobs; --";
    private const string Shell = "$(touch /tmp/pwned); `id`; rm -rf / #";

    public async Task InitializeAsync()
    {
        await using var db = cluster.Database.Context();
        if (db.Nodes.Any()) return;
        db.Nodes.Add(new Node
        {
            Name = "n1", Partition = "default", Cpus = 4, CoreIds = [0, 1, 2, 3], MemoryMb = 8192,
            InstanceId = Guid.NewGuid(), RegisteredAt = DateTime.UtcNow, LastHeartbeat = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Job(string job) => $$"""{"job":{{job}},"script":"true"}""";

    private static string Str(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public static TheoryData<string, string, string?, string?> Requests => new()
    {
        // why, method + path, body (null: none), extra header "Name: value"
        { "empty body", "POST /jobs/submit", "", null },
        { "JSON null", "POST /jobs/submit", "null", null },
        { "JSON array", "POST /jobs/submit", "[]", null },
        { "JSON string", "POST /jobs/submit", "\"echo hi\"", null },
        { "JSON number", "POST /jobs/submit", "123", null },
        { "truncated object", "POST /jobs/submit", "{\"job\":{", null },
        { "missing closing brace", "POST /jobs/submit", "{\"job\":{},\"script\":\"true\"", null },
        { "nesting 200 deep", "POST /jobs/submit", "{\"job\":" + new string('[', 200) + new string(']', 200) + ",\"script\":\"true\"}", null },
        { "invalid UTF-8 escape", "POST /jobs/submit", "{\"job\":{},\"script\":\"\\ud800\\u\"}", null },
        { "script null", "POST /jobs/submit", "{\"job\":{},\"script\":null}", null },
        { "script array", "POST /jobs/submit", "{\"job\":{},\"script\":[\"true\"]}", null },
        { "script object", "POST /jobs/submit", "{\"job\":{},\"script\":{\"$ne\":1}}", null },
        { "script boolean", "POST /jobs/submit", "{\"job\":{},\"script\":true}", null },
        { "script with NUL", "POST /jobs/submit", "{\"job\":{},\"script\":\"echo a\\u0000b\"}", null },
        { "script of 2 MiB", "POST /jobs/submit", "{\"job\":{},\"script\":\"" + new string('x', 2 * 1024 * 1024) + "\"}", null },
        { "body of 3 MiB", "POST /jobs/submit", "{\"pad\":\"" + new string('x', 3 * 1024 * 1024) + "\",\"script\":\"true\"}", null },
        { "job array", "POST /jobs/submit", "{\"job\":[],\"script\":\"true\"}", null },
        { "job number", "POST /jobs/submit", "{\"job\":5,\"script\":\"true\"}", null },
        { "cpus 1e400", "POST /jobs/submit", Job("{\"cpus_per_task\":1e400}"), null },
        { "cpus past int64", "POST /jobs/submit", Job("{\"cpus_per_task\":9223372036854775808}"), null },
        { "cpus below int64", "POST /jobs/submit", Job("{\"cpus_per_task\":-9223372036854775809}"), null },
        { "cpus hex string", "POST /jobs/submit", Job("{\"cpus_per_task\":\"0x10\"}"), null },
        { "cpus past int32", "POST /jobs/submit", Job("{\"cpus_per_task\":2147483648}"), null },
        { "tasks x cpus overflow int32", "POST /jobs/submit", Job("{\"ntasks_per_node\":4096,\"cpus_per_task\":4096}"), null },
        { "priority past int32", "POST /jobs/submit", Job("{\"priority\":2147483648}"), null },
        { "priority NaN", "POST /jobs/submit", Job("{\"priority\":\"NaN\"}"), null },
        { "priority object", "POST /jobs/submit", Job("{\"priority\":{\"$gt\":\"\"}}"), null },
        { "time limit of 20 digits", "POST /jobs/submit", Job("{\"time_limit\":\"99999999999999999999\"}"), null },
        { "time limit array", "POST /jobs/submit", Job("{\"time_limit\":[1]}"), null },
        { "memory of 19 digits G", "POST /jobs/submit", Job("{\"memory_per_node\":\"9999999999999999999G\"}"), null },
        { "memory negative", "POST /jobs/submit", Job("{\"memory_per_node\":-1}"), null },
        { "name with NUL", "POST /jobs/submit", Job("{\"name\":\"a\\u0000b\"}"), null },
        { "name with newline", "POST /jobs/submit", Job("{\"name\":\"line\\nforged log line\"}"), null },
        { "name of 10000 chars", "POST /jobs/submit", Job("{\"name\":\"" + new string('n', 10000) + "\"}"), null },
        { "name object", "POST /jobs/submit", Job("{\"name\":{\"$ne\":1}}"), null },
        { "account with SQL", "POST /jobs/submit", Job("{\"account\":" + Str(Sql) + "}"), null },
        { "account with shell", "POST /jobs/submit", Job("{\"account\":" + Str(Shell) + "}"), null },
        { "account in unicode with a zero-width joiner", "POST /jobs/submit", Job("{\"account\":\"名\\u200d前\"}"), null },
        { "account empty", "POST /jobs/submit", Job("{\"account\":\"\"}"), null },
        { "account with RTL override", "POST /jobs/submit", Job("{\"account\":\"admin\\u202e\"}"), null },
        { "partition with SQL", "POST /jobs/submit", Job("{\"partition\":" + Str(Sql) + "}"), null },
        { "partition with NUL", "POST /jobs/submit", Job("{\"partition\":\"default\\u0000\"}"), null },
        { "working dir traversal", "POST /jobs/submit", Job("{\"current_working_directory\":\"/tmp/../etc\"}"), null },
        { "working dir with NUL", "POST /jobs/submit", Job("{\"current_working_directory\":\"/tmp/a\\u0000b\"}"), null },
        { "working dir relative", "POST /jobs/submit", Job("{\"current_working_directory\":\"relative/dir\"}"), null },
        { "working dir with shell", "POST /jobs/submit", Job("{\"current_working_directory\":" + Str(Shell) + "}"), null },
        { "working dir with SQL", "POST /jobs/submit", Job("{\"current_working_directory\":" + Str("/etc" + Sql) + "}"), null },
        { "working dir in unicode outside", "POST /jobs/submit", Job("{\"current_working_directory\":\"/données/😈\"}"), null },
        { "stdout traversal", "POST /jobs/submit", Job("{\"standard_output\":\"../../../../etc/passwd\"}"), null },
        { "stdout to /proc", "POST /jobs/submit", Job("{\"standard_output\":\"/proc/self/mem\"}"), null },
        { "stderr to a device", "POST /jobs/submit", Job("{\"standard_error\":\"/dev/sda\"}"), null },
        { "stdout with name traversal", "POST /jobs/submit", Job("{\"name\":\"../../../etc/x\",\"standard_output\":\"%x.out\"}"), null },
        { "env the wrapper's name", "POST /jobs/submit", Job("{\"environment\":{\"__CJ_ENV_LD_PRELOAD\":\"/tmp/x.so\"}}"), null },
        { "env name with space", "POST /jobs/submit", Job("{\"environment\":{\"A B\":\"x\"}}"), null },
        { "env name with shell", "POST /jobs/submit", Job("{\"environment\":{\"$(id)\":\"x\"}}"), null },
        { "env empty name", "POST /jobs/submit", Job("{\"environment\":{\"\":\"x\"}}"), null },
        { "env exported function", "POST /jobs/submit", Job("{\"environment\":{\"BASH_FUNC_ls%%\":\"() { id; }\"}}"), null },
        { "env value with NUL", "POST /jobs/submit", Job("{\"environment\":{\"A\":\"x\\u0000y\"}}"), null },
        { "env value array", "POST /jobs/submit", Job("{\"environment\":{\"A\":[\"x\"]}}"), null },
        { "exclusive with shell", "POST /jobs/submit", Job("{\"exclusive\":" + Str(Shell) + "}"), null },
        { "dependency with SQL", "POST /jobs/submit", Job("{\"dependency\":" + Str("afterok:1" + Sql) + "}"), null },
        { "huge job array", "POST /jobs/submit", Job("{\"array\":\"1-100000000\"}"), null },
        { "giant Idempotency-Key", "POST /jobs/submit", Job("{}"), "Idempotency-Key: " + new string('k', 64 * 1024) },
        { "Idempotency-Key with control char", "POST /jobs/submit", Job("{}"), "Idempotency-Key: a\tb" },
        { "query id with SQL", "GET /jobs/query/" + Uri.EscapeDataString("1 OR 1=1; --"), null, null },
        { "query id past int64", "GET /jobs/query/99999999999999999999999", null, null },
        { "query id negative", "GET /jobs/query/-1", null, null },
        { "cancel id with encoded traversal", "POST /jobs/cancel/..%2F..%2Fetc%2Fpasswd", null, null },
        { "cancel id with shell", "POST /jobs/cancel/" + Uri.EscapeDataString(Shell), null, null },
        { "list limit huge", "GET /jobs?limit=99999999999", null, null },
        { "list cursor garbage", "GET /jobs?cursor=" + Uri.EscapeDataString(Sql), null, null },
        { "list state with SQL", "GET /jobs?state=" + Uri.EscapeDataString("RUNNING" + Sql), null, null },
        { "lone surrogate in the script", "POST /jobs/submit", "{\"job\":{},\"script\":\"echo \\ud800\"}", null },
        { "lone surrogate in the name", "POST /jobs/submit", Job("{\"name\":\"x\\udfff\"}"), null },
        { "lone surrogate in a field nobody reads", "POST /jobs/submit", "{\"job\":{},\"script\":\"true\",\"x\":\"\\ud800\"}", null },
        { "lone surrogate in a bulk element", "POST /jobs/submit/bulk", "[{\"job\":{\"name\":\"\\ud800\"},\"script\":\"true\"}]", null },
        { "account ending in a newline", "POST /jobs/submit", Job("{\"account\":\"alice\\n\"}"), null },
        { "env name ending in a newline", "POST /jobs/submit", Job("{\"environment\":{\"FOO\\n\":\"x\"}}"), null },
        { "partition ending in a newline", "POST /jobs/submit", Job("{\"partition\":\"default\\n\"}"), null },
        { "submit from another origin", "POST /jobs/submit", Job("{}"), "Origin: http://evil.example" },
        { "submit from a sandboxed frame", "POST /jobs/submit", Job("{}"), "Origin: null" },
        { "submit through a rebound DNS name", "POST /jobs/submit", Job("{}"), "Host: evil.example" },
        { "list through a rebound DNS name", "GET /jobs", null, "Host: evil.example:8000" },
        { "list name with NUL", "GET /jobs?name=a%00b", null, null },
        { "list account with NUL", "GET /jobs?account=%00", null, null },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task HostileRequest_Gets4xxProblem_CreatesNothing_AndTheApiStillServes(string why, string request, string? body, string? header)
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var (method, path) = (request.Split(' ')[0], request[(request.IndexOf(' ') + 1)..]);
        var message = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) message.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (header is not null) message.Headers.TryAddWithoutValidation(header[..header.IndexOf(':')], header[(header.IndexOf(':') + 2)..]);

        var response = await cluster.Client.Http.SendAsync(message);

        ((int)response.StatusCode).Should().BeInRange(400, 499, $"{why}: {await response.Content.ReadAsStringAsync()}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", why);
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, $"{why} creates nothing");
        (await cluster.Client.Http.GetAsync("/jobs?limit=1")).StatusCode.Should().Be(HttpStatusCode.OK, $"the API still serves after {why}");
    }

    [Fact]
    public void TheTable_HoldsAtLeastFortyHostileRequests() => Requests.Count().Should().BeGreaterThanOrEqualTo(40);
}
