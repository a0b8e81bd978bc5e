using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Conductor.Tests.Integration;

namespace Conductor.Tests.WebConsole;

/// <summary>The endpoints the console adds: who the token is, a job's script, the history and the cores, each bounded by the account.</summary>
public sealed class ConsoleEndpointsTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>, IAsyncLifetime
{
    private ConductorClient _alice = null!, _bob = null!, _admin = null!, _nobody = null!;

    public async Task InitializeAsync()
    {
        _alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "alice"));
        _bob = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "bob"));
        _admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "ops", admin: true));
        _nobody = Tokens.ClientFor(cluster, null);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task WhoAmI_NamesTheTokensAccountAndRole_AndNeedsAToken()
    {
        (await _alice.GetJsonAsync("/auth/whoami")).ToJsonString().Should().Be("""{"account":"alice","admin":false}""");
        (await _admin.GetJsonAsync("/auth/whoami")).ToJsonString().Should().Be("""{"account":"ops","admin":true}""");
        (await _nobody.Http.GetAsync("/auth/whoami")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_JobsScript_IsShownToItsAccountAndAdmins_AndIs404ForAnyoneElse()
    {
        var id = await _alice.SubmitAsync("#!/bin/bash\necho alice's secret step\n");

        (await _alice.GetJsonAsync($"/jobs/{id}/script"))["script"]!.GetValue<string>().Should().Contain("alice's secret step");
        (await _admin.GetJsonAsync($"/jobs/{id}/script"))["job_id"]!.GetValue<string>().Should().Be(id);
        var bobs = await _bob.Http.GetAsync($"/jobs/{id}/script");
        bobs.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await bobs.Content.ReadAsStringAsync()).Should().NotContain("secret");
        (await _nobody.Http.GetAsync($"/jobs/{id}/script")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task History_Answers60Buckets_CountsASubmittedJob_AndNamesABadHours()
    {
        await _alice.SubmitAsync("true");

        var history = await _alice.GetJsonAsync("/stats/history?hours=1");
        var buckets = history["buckets"]!.AsArray();
        buckets.Should().HaveCount(60);
        buckets.Sum(b => b!["submitted"]!.GetValue<long>()).Should().BeGreaterThan(0);
        buckets[^1]!["queue_depth"]!.GetValue<long>().Should().BeGreaterThan(0, "the job waits: no worker runs here");
        foreach (var bad in new[] { "0", "169", "six", "1e3" })
        {
            var response = await _alice.Http.GetAsync($"/stats/history?hours={bad}");
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, bad);
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!["hours"].Should().NotBeNull();
        }
    }

    [Fact]
    public async Task NodeCores_ShowAnotherAccountsJobOnlyAsHeld()
    {
        var bobs = long.Parse(await _bob.SubmitAsync("sleep 60"));
        await cluster.Database.ExecuteAsync($$"""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, registered_at, last_heartbeat)
            VALUES ('cores-node', 'default', 4, '{0,1,2,3}', 8192, 'Up', gen_random_uuid(), now(), now()) ON CONFLICT DO NOTHING;
            UPDATE jobs SET state = 'RUNNING', node = 'cores-node', start_time = now() WHERE id = {{bobs}};
            INSERT INTO allocations (job_id, attempt, node, cpus, cpu_ids, memory_mb, created_at) VALUES ({{bobs}}, 1, 'cores-node', 2, '{1,2}', 1024, now());
            """);

        var node = (await _alice.GetJsonAsync("/nodes/cores"))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "cores-node")!;
        var adminView = (await _admin.GetJsonAsync("/nodes/cores"))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "cores-node")!;

        node["cores"]!.AsArray().Select(c => c!["held"]!.GetValue<bool>()).Should().Equal(false, true, true, false);
        node["cores"]!.AsArray().Should().OnlyContain(c => c!["job_id"] == null && c["job_name"] == null, "bob's job stays unnamed for alice");
        node["memory_used_mb"]!.GetValue<long>().Should().Be(1024);
        adminView["cores"]![1]!["job_id"]!.GetValue<string>().Should().Be(bobs.ToString());
    }

    [Fact]
    public async Task NodeCores_ShowGpusWithTheirModel_AndAnotherAccountsHolderOnlyAsHeld()
    {
        var bobs = long.Parse(await _bob.SubmitAsync("sleep 60"));
        await cluster.Database.ExecuteAsync($$"""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, registered_at, last_heartbeat, devices)
            VALUES ('gpu-node', 'default', 2, '{0,1}', 8192, 'Up', gen_random_uuid(), now(), now(),
                    '[{"id":0,"model":"a100","vendor":"nvidia"},{"id":1,"model":"a100","vendor":"nvidia"}]') ON CONFLICT DO NOTHING;
            UPDATE jobs SET state = 'RUNNING', node = 'gpu-node', start_time = now() WHERE id = {{bobs}};
            INSERT INTO allocations (job_id, attempt, node, cpus, cpu_ids, memory_mb, created_at, gpu_ids) VALUES ({{bobs}}, 1, 'gpu-node', 1, '{0}', 64, now(), '{1}');
            """);

        var node = (await _alice.GetJsonAsync("/nodes/cores"))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "gpu-node")!;
        var adminView = (await _admin.GetJsonAsync("/nodes/cores"))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "gpu-node")!;
        await cluster.Database.ExecuteAsync($"UPDATE allocations SET released_at = now() WHERE job_id = {bobs}; UPDATE jobs SET state = 'CANCELLED', end_time = now() WHERE id = {bobs}");

        node["gpus"]!.AsArray().Select(g => (g!["id"]!.GetValue<int>(), g["model"]!.GetValue<string>(), g["held"]!.GetValue<bool>()))
            .Should().Equal((0, "a100", false), (1, "a100", true));
        node["gpus"]!.AsArray().Should().OnlyContain(g => g!["job_id"] == null, "bob's job stays unnamed for alice");
        adminView["gpus"]![1]!["job_id"]!.GetValue<string>().Should().Be(bobs.ToString());
    }

    [Fact]
    public async Task The_ConsoleFiles_AreOpen_ButNothingOutsideThemIsServed()
    {
        var index = await _nobody.Http.GetAsync("/ui/");
        index.StatusCode.Should().Be(HttpStatusCode.OK);
        index.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await _nobody.Http.GetAsync("/ui/js/app.js")).Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        (await _nobody.Http.GetAsync("/ui/vendor/uplot/LICENSE.txt")).StatusCode.Should().Be(HttpStatusCode.OK, "the library's licence ships with it");
        foreach (var path in new[] { "/ui/../appsettings.json", "/ui/%2e%2e/appsettings.json", "/ui/..%2fConductor.Api.dll", "/ui/nope.js", "/ui/js/../../Program.cs" })
            (await _nobody.Http.GetAsync(path)).StatusCode.Should().BeOneOf([HttpStatusCode.NotFound, HttpStatusCode.Unauthorized], path);
        var redirect = await new HttpClient(cluster.Api.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost") }.GetAsync("/ui");
        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect);
        redirect.Headers.Location!.ToString().Should().Be("/ui/");
    }
}
