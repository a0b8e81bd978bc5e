using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>PATCH /jobs/{id}: a PENDING job's fields, validated as submit validates them, each change an event row.</summary>
public sealed class PatchJobTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>, IAsyncLifetime
{
    private ConductorClient _admin = null!, _alice = null!, _mallory = null!;

    public async Task InitializeAsync()
    {
        _admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "patch-admin", admin: true));
        _alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "patch-alice"));
        _mallory = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "patch-mallory"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<string> HeldAsync(ConductorClient client, object? job = null) =>
        client.SubmitAsync("echo patched", job ?? new { hold = true, priority = 5, time_limit = "10", name = "before" });

    [Fact]
    public async Task PendingJob_TakesEachChange_AndRecordsItAsAnEvent()
    {
        var earlier = await _alice.SubmitAsync("true");
        var id = await HeldAsync(_alice);
        var begin = DateTime.UtcNow.AddMinutes(5);

        var (status, body) = await OpsKit.PatchAsync(_alice, $"/jobs/{id}", new
        {
            job = new
            {
                name = "after", priority = 3, time_limit = "5", cpus_per_task = 2, memory_per_node = "256M",
                dependency = $"afterany:{earlier}", begin_time = begin.ToString("O"),
            },
        });

        status.Should().Be(HttpStatusCode.OK, body?.ToJsonString());
        body!["priority"]!.GetValue<int>().Should().Be(3);
        body["detail"]!["job_name"]!.GetValue<string>().Should().Be("after");
        body["detail"]!["allocated_cpus"]!.GetValue<int>().Should().Be(2);
        body["time"]!["limit_time"]!.GetValue<string>().Should().Be("0:05:00");
        var changes = (await OpsKit.EventsAsync(_alice, id)).Where(e => e["reason"]!.GetValue<string>() == "Updated")
            .Select(e => e["message"]!.GetValue<string>()).ToList();
        changes.Should().HaveCount(7, "one event row per changed field");
        changes.Should().Contain(c => c.StartsWith("priority: 5 -> 3", StringComparison.Ordinal) && c.Contains("patch-alice"));
        changes.Should().Contain(c => c.StartsWith("time_limit: 600 -> 300", StringComparison.Ordinal));
        var row = await cluster.Database.ScalarAsync<string>(
            $"SELECT format('%s %s %s %s', cpus, memory_mb, (SELECT string_agg(depends_on::text, ',') FROM job_dependencies WHERE job_id = {id}), eligible_time > now()) FROM jobs WHERE id = {id}");
        row.Should().Be($"2 256 {earlier} t");
    }

    [Theory]
    [InlineData("priority", 5000)]
    [InlineData("priority", "high")]
    [InlineData("time_limit", "forever")]
    [InlineData("cpus_per_task", 0)]
    [InlineData("cpus_per_task", 4096)]
    [InlineData("ntasks_per_node", -1)]
    [InlineData("memory_per_node", "lots")]
    [InlineData("dependency", "afterok:999999999")]
    [InlineData("dependency", "whenever:1")]
    [InlineData("begin_time", "tomorrow")]
    [InlineData("name", "bad\u0001name")]
    [InlineData("partition", "bad\npart")]
    [InlineData("script", "echo swapped")]
    [InlineData("account", "patch-mallory")]
    [InlineData("environment", "x")]
    [InlineData("colour", "red")]
    public async Task EachInvalidField_IsRefusedByName_AndChangesNothing(string field, object value)
    {
        var id = await HeldAsync(_alice);
        var before = await cluster.Database.ScalarAsync<string>($"SELECT row_to_json(j)::text FROM (SELECT * FROM jobs WHERE id = {id}) j");

        var (status, body) = await OpsKit.PatchAsync(_alice, $"/jobs/{id}", new Dictionary<string, object> { ["job"] = new Dictionary<string, object> { [field] = value } });

        status.Should().Be(HttpStatusCode.BadRequest, body?.ToJsonString());
        body!["field"]!.GetValue<string>().Should().Be($"job.{field}");
        (await cluster.Database.ScalarAsync<string>($"SELECT row_to_json(j)::text FROM (SELECT * FROM jobs WHERE id = {id}) j")).Should().Be(before);
    }

    [Fact]
    public async Task AUser_CannotRaiseAPriorityOrLengthenATimeLimit_ButAnAdminCan()
    {
        var id = await HeldAsync(_alice);
        var later = await HeldAsync(_alice);

        var raise = await OpsKit.PatchAsync(_alice, $"/jobs/{id}", new { priority = 6 });
        var lengthen = await OpsKit.PatchAsync(_alice, $"/jobs/{id}", new { time_limit = "11" });
        var unlimited = await OpsKit.PatchAsync(_alice, $"/jobs/{id}", new { time_limit = "UNLIMITED" });
        var cycle = await OpsKit.PatchAsync(_alice, $"/jobs/{id}", new { dependency = $"afterok:{later}" });
        var admin = await OpsKit.PatchAsync(_admin, $"/jobs/{id}", new { priority = 50, time_limit = "UNLIMITED" });

        raise.Status.Should().Be(HttpStatusCode.BadRequest);
        raise.Body!["field"]!.GetValue<string>().Should().Be("job.priority");
        lengthen.Body!["field"]!.GetValue<string>().Should().Be("job.time_limit");
        unlimited.Status.Should().Be(HttpStatusCode.BadRequest, "no limit is longer than any");
        cycle.Body!["field"]!.GetValue<string>().Should().Be("job.dependency", "a job may depend only on earlier jobs: no cycle");
        admin.Status.Should().Be(HttpStatusCode.OK, admin.Body?.ToJsonString());
        admin.Body!["priority"]!.GetValue<int>().Should().Be(50);
        admin.Body["time"]!["limit_time"]!.GetValue<string>().Should().Be("UNLIMITED");
    }

    [Fact]
    public async Task AStartedJob_IsAConflict_AndAnotherAccountsJobDoesNotExist()
    {
        var done = await _alice.SubmitAsync("true");
        await _alice.WaitForStateAsync(done, "COMPLETED");
        var pending = await HeldAsync(_alice);

        var started = await OpsKit.PatchAsync(_alice, $"/jobs/{done}", new { priority = 1 });
        var other = await OpsKit.PatchAsync(_mallory, $"/jobs/{pending}", new { priority = 1 });
        var anonymous = await OpsKit.PatchAsync(new ConductorClient(cluster.Api.CreateClient()), $"/jobs/{pending}", new { priority = 1 });
        var empty = await OpsKit.PatchAsync(_alice, $"/jobs/{pending}", new { });

        started.Status.Should().Be(HttpStatusCode.Conflict);
        other.Status.Should().Be(HttpStatusCode.NotFound, "another account's job does not exist for mallory");
        anonymous.Status.Should().Be(HttpStatusCode.Unauthorized);
        empty.Status.Should().Be(HttpStatusCode.BadRequest);
        (await _alice.QueryAsync(pending))["priority"]!.GetValue<int>().Should().Be(5);
    }
}
