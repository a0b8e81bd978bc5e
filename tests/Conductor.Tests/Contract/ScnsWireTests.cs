using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Contract;

/// <summary>Where an SCNS-Conductor client would notice a difference: each field as SCNS sends and reads it, against a real worker.</summary>
public sealed class ScnsWireTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private ConductorClient Client => cluster.Client;

    [Fact]
    public async Task ATimeLimitWithOneColon_IsHoursAndMinutes_AndLimitTimeIsScnsFormatted()
    {
        var id = await Client.SubmitAsync("true", new { time_limit = "2:30" });

        var job = await Client.QueryAsync(id);

        job["time"]!["limit_time"]!.GetValue<string>().Should().Be("2:30:00", "SCNS reads 2:30 as 2 h 30 min, not 150 s");
        (await Client.QueryAsync(await Client.SubmitAsync("true", new { time_limit = "1-00:00:00" })))["time"]!["limit_time"]!
            .GetValue<string>().Should().Be("1-00:00:00");
        (await Client.QueryAsync(await Client.SubmitAsync("true")))["time"]!["limit_time"]!.GetValue<string>().Should().Be("UNLIMITED");
    }

    [Fact]
    public async Task AJobKilledByASignal_ShowsSlurmsCodeSignal_AndBashsNumberBesideIt()
    {
        var killed = await Client.WaitForFinishAsync(await Client.SubmitAsync("kill -9 $$"));
        var exited = await Client.WaitForFinishAsync(await Client.SubmitAsync("exit 2"));

        killed["detail"]!["exit_code"]!.GetValue<string>().Should().Be("0:9");
        killed["detail"]!["exit_status"]!.GetValue<int>().Should().Be(137);
        exited["detail"]!["exit_code"]!.GetValue<string>().Should().Be("2:0");
        exited["detail"]!["exit_status"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public async Task WorkDir_IsAStringEvenBeforeTheJobRuns_AndAllocatedNodesIsOne()
    {
        var id = await Client.SubmitAsync("true", new { begin_time = "2099-01-01T00:00:00Z" });
        try
        {
            var job = await Client.QueryAsync(id);

            job["detail"]!["work_dir"]!.GetValue<string>().Should().EndWith($"/jobs/{id}", "the directory the job will get");
            job["detail"]!["allocated_nodes"]!.GetValue<int>().Should().Be(1);
            job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("");
            job["detail"]!["exit_status"].Should().BeNull();
        }
        finally
        {
            await Client.CancelAsync(id);
        }
    }

    [Fact]
    public async Task LoaderAndShellVariables_ReachTheScript_ButActOnlyOnceItRuns()
    {
        var rc = Path.Combine(Path.GetTempPath(), $"rc-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(rc, "echo sourced >> \"$CONDUCTOR_JOB_DIR/marker\"\n");
        File.SetUnixFileMode(rc, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var script = "echo \"$LD_LIBRARY_PATH $SLURM_CONF\"; cat \"$CONDUCTOR_JOB_DIR/marker\" 2>/dev/null | wc -l; bash -c true; wc -l < \"$CONDUCTOR_JOB_DIR/marker\"";

        var job = await Client.WaitForFinishAsync(await Client.SubmitAsync(script,
            new { environment = new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = "/opt/lib", ["SLURM_CONF"] = "/etc/x", ["BASH_ENV"] = rc } }));

        ConductorClient.State(job).Should().Be("COMPLETED", job.ToJsonString());
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("/opt/lib /etc/x\n0\n1\n",
            "BASH_ENV is not read by the job's start-up shell, only by the bash the script starts");
    }

    [Theory]
    [InlineData("cli", "CLI")]
    [InlineData("WEB", "WEB")]
    [InlineData("curl/8", "API")]
    [InlineData(null, "API")]
    public async Task DataSource_ComesFromTheClientHeader(string? header, string expected)
    {
        using var single = new HttpRequestMessage(HttpMethod.Post, "/jobs/submit") { Content = JsonContent.Create(new { job = new { }, script = "true" }) };
        using var bulk = new HttpRequestMessage(HttpMethod.Post, "/jobs/submit/bulk") { Content = JsonContent.Create(new[] { new { job = new { }, script = "true" } }) };
        if (header is not null)
        {
            single.Headers.Add("X-Conductor-Client", header);
            bulk.Headers.Add("X-Conductor-Client", header);
        }

        var one = JsonNode.Parse(await (await Client.Http.SendAsync(single)).Content.ReadAsStringAsync())!["job_id"]!.GetValue<string>();
        var many = JsonNode.Parse(await (await Client.Http.SendAsync(bulk)).Content.ReadAsStringAsync())!["job_ids"]![0]!.GetValue<string>();

        foreach (var id in new[] { one, many })
            (await Client.QueryAsync(id))["detail"]!["data_source"]!.GetValue<string>().Should().Be(expected);
    }

    [Fact]
    public async Task AReservedVariable_IsRefusedWithItsReason()
    {
        var response = await Client.PostRawAsync("/jobs/submit", """{"job":{"environment":{"SLURM_JOB_ID":"7"}},"script":"true"}""");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["field"]!.GetValue<string>().Should().Be("job.environment.SLURM_JOB_ID");
        problem["detail"]!.GetValue<string>().Should().Contain("set by Conductor for every job");
    }

    [Fact]
    public async Task AUnicodeAccount_RunsItsJob_AsAUserNamedSafely()
    {
        var id = await Client.SubmitAsync("id -un; pwd", new { account = "项目A" });

        var job = await Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        ConductorClient.State(job).Should().Be("COMPLETED", job.ToJsonString());
        job["detail"]!["account"]!.GetValue<string>().Should().Be("项目A");
        var lines = job["job_log"]!["stdout"]!.GetValue<string>().Split('\n');
        lines[0].Should().MatchRegex("^cj-[a-z0-9_-]+$", "the Unix user is a portable name, never the account itself");
        lines[1].Should().EndWith($"/jobs/{id}", "the job directory is named by the job id, not the account");
    }

    [Fact]
    public async Task AValidationProblem_CarriesTheHumanTextInDetail()
    {
        var response = await Client.PostRawAsync("/jobs/submit", """{"job":{"time_limit":"soon"},"script":"true"}""");

        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["detail"]!.GetValue<string>().Should().Contain("'job.time_limit' must be a time limit", "a client printing detail shows the reason");
    }

    [Fact]
    public async Task TheServiceRoot_AnswersScnsServiceInfo()
    {
        var info = await Client.GetJsonAsync("/");

        info["service"]!.GetValue<string>().Should().NotBeEmpty();
        info["version"]!.GetValue<string>().Should().NotBeEmpty();
        info["status"]!.GetValue<string>().Should().Be("running");
    }

    [Fact]
    public async Task AnOutputBelowOneMebibyte_IsReturnedWhole_AndALargerOneAsItsLast1000Lines()
    {
        // 300 KB: past the old 64 KiB tail, so a poll-and-diff client would have stalled.
        var small = await Client.WaitForFinishAsync(await Client.SubmitAsync("seq 1 50000"));
        var large = await Client.WaitForFinishAsync(await Client.SubmitAsync("seq 1 300000"));

        var smallOut = small["job_log"]!["stdout"]!.GetValue<string>();
        smallOut.Should().StartWith("1\n2\n").And.EndWith("49999\n50000\n");
        smallOut.Split('\n').Should().HaveCount(50001);
        var largeLines = large["job_log"]!["stdout"]!.GetValue<string>().Split('\n');
        largeLines[0].Should().StartWith("...(only the last 1000 lines");
        largeLines.Skip(1).SkipLast(1).Should().HaveCount(1000).And.StartWith("299001");
        largeLines[^2].Should().Be("300000");
    }

    [Fact]
    public async Task TheDashboard_AnswersScnsKeys_WithScnsTypes()
    {
        await Client.WaitForFinishAsync(await Client.SubmitAsync("true"));
        var blocker = await Client.SubmitAsync("sleep 60");
        try
        {
            await Client.WaitForStateAsync(blocker, "RUNNING");
            var d = await Client.GetJsonAsync("/dashboard");

            var stats = d["job_stats"]!;
            foreach (var key in new[] { "total", "running", "pending", "completed", "failed", "cancelled" })
                stats[key]!.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.Number, key);
            stats["running"]!.GetValue<int>().Should().BeGreaterThanOrEqualTo(1);
            var resources = d["resource_stats"]!;
            resources["total_cpus"]!.GetValue<int>().Should().Be(2);
            resources["allocated_cpus"]!.GetValue<int>().Should().Be(1);
            resources["available_cpus"]!.GetValue<int>().Should().Be(1);
            resources["utilization_rate"]!.GetValue<double>().Should().Be(50.0, "SCNS gives a percentage");
            var node = d["node_info"]!.AsArray().Single()!;
            node["node_name"]!.GetValue<string>().Should().Be(cluster.NodeName);
            node["available"]!.GetValue<bool>().Should().BeTrue();
            var running = d["running_jobs"]!.AsArray().Single(j => j!["job_id"]!.GetValue<long>() == long.Parse(blocker))!;
            running["allocated_cpus"]!.GetValue<int>().Should().Be(1);
            running["submit_time"]!.GetValue<string>().Should().EndWith("Z");
            d["pending_jobs"]!.AsArray().Should().NotBeNull();
        }
        finally
        {
            await Client.CancelAsync(blocker);
            await Client.WaitForFinishAsync(blocker);
        }
    }
}
