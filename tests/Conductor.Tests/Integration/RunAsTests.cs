using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Mono.Unix.Native;

namespace Conductor.Tests.Integration;

/// <summary>
/// A worker whose API allows /var/tmp although the worker does not (to show the worker's own
/// check), with a 64 KiB output limit.
/// </summary>
public sealed class RunAsClusterFixture : ClusterFixture
{
    public const long OutputLimit = 64 * 1024;

    protected override bool StartWorker => false;

    protected override IDictionary<string, string> ApiSettings() => new Dictionary<string, string>
    {
        ["Conductor:Api:AllowedRoots:0"] = DataDir, ["Conductor:Api:AllowedRoots:1"] = "/tmp", ["Conductor:Api:AllowedRoots:2"] = "/var/tmp",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await StartWorkerAsync(Settings() with { Extra = new() { ["Conductor__Worker__MaxOutputBytes"] = OutputLimit.ToString() } });
    }
}

/// <summary>Jobs never run as root, stay inside their allowed roots, and cannot write without bound.</summary>
public sealed class RunAsTests(RunAsClusterFixture cluster) : IClassFixture<RunAsClusterFixture>
{
    private ConductorClient Client => cluster.Client;
    private static bool TestsRunAsRoot => Syscall.geteuid() == 0;

    [Fact]
    public async Task UserLookups_AreReusedForAWhile_ButAMissingUserIsLookedUpEveryTime()
    {
        TestsRunAsRoot.Should().BeTrue("the worker drops jobs to their users only when it runs as root");
        await using var source = Npgsql.NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        var policy = new Conductor.Worker.Processes.RunAsPolicy(Microsoft.Extensions.Options.Options.Create(new Conductor.Worker.WorkerOptions
            {
                Users = Conductor.Worker.JobUsers.Shared, RunAs = "conductor-job", AccountUsers = { ["ghost"] = $"nobody-{Guid.NewGuid():N}"[..20] },
            }),
            new Conductor.Core.Storage.AccountUserStore(source),
            new Conductor.Worker.StoreRetry(new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(
                Microsoft.Extensions.Logging.Abstractions.NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance),
                Microsoft.Extensions.Logging.Abstractions.NullLogger<Conductor.Worker.StoreRetry>.Instance),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Conductor.Worker.Processes.RunAsPolicy>.Instance);

        var first = await policy.ForAsync("alice", default);
        first!.Name.Should().Be("conductor-job", "in Shared mode every account runs as RunAs");
        (await policy.ForAsync("bob", default)).Should().BeSameAs(first, "the lookup of conductor-job is reused");
        for (var i = 0; i < 2; i++)
            await policy.Invoking(p => p.ForAsync("ghost", default).AsTask()).Should().ThrowAsync<InvalidOperationException>().WithMessage("*does not exist*");
    }

    [Fact]
    public async Task Job_RunsAsTheUnprivilegedJobUser_WhileTheWorkerRunsAsRoot()
    {
        var id = await Client.SubmitAsync("id -u; id -un; echo \"$HOME $USER\"");

        var job = await Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        var lines = Stdout(job).Split('\n');
        if (TestsRunAsRoot)
        {
            lines[0].Should().NotBe("0", "a job never runs as root, even on a root worker");
            lines[1].Should().Be("cj-default", "the account (anonymous: default) runs as its own user");
            lines[2].Should().EndWith(" cj-default", "the job's USER names the user it runs as");
        }
        else
        {
            lines[0].Should().Be(Syscall.getuid().ToString(), "a non-root worker runs jobs as itself");
        }
    }

    [Fact]
    public async Task Job_CannotRegainPrivileges_AndStartsWithDefaultSignalsInItsOwnSession()
    {
        // What the job's programs inherit (grep reads its own status): no_new_privs (a setuid binary
        // cannot make it root again), no blocked or ignored signal left over from the worker's
        // runtime (which ignores SIGPIPE); and the job's shell leads a session of its own.
        var id = await Client.SubmitAsync(
            "grep -E '^(NoNewPrivs|SigBlk|SigIgn):' /proc/self/status | tr -s '\\t' ' '\n" +
            "read -r s </proc/$$/stat; set -- ${s##*) }; echo \"self $$ pgrp $3 session $4\"\n");

        var job = await Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        var lines = Stdout(job).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (TestsRunAsRoot) lines.Should().Contain("NoNewPrivs: 1");
        lines.Should().Contain("SigBlk: 0000000000000000");
        lines.Should().Contain("SigIgn: 0000000000000000", "SIGPIPE and the rest start at their defaults");
        var self = lines.Single(l => l.StartsWith("self ", StringComparison.Ordinal)).Split(' ');
        self[3].Should().Be(self[1], "the job leads its own process group");
        self[5].Should().Be(self[1], "and its own session");
    }

    [Fact]
    public async Task JobDirectory_AndOutputFiles_BelongToTheJobUser_AndTheScriptToRoot()
    {
        if (!TestsRunAsRoot) return;
        var id = await Client.SubmitAsync("echo out; echo err >&2");
        await Client.WaitForFinishAsync(id);
        var dir = Path.Combine(cluster.DataDir, "jobs", id);
        var control = Path.Combine(cluster.DataDir, "control", id);

        foreach (var path in new[] { dir, Path.Combine(dir, "stdout.log"), Path.Combine(dir, "stderr.log") })
        {
            Syscall.lstat(path, out var st).Should().Be(0, path);
            new Mono.Unix.UnixUserInfo((long)st.st_uid).UserName.Should().Be("cj-default", $"{path} belongs to the job's user");
        }
        Syscall.lstat(dir, out var own);
        ((int)own.st_mode & 0b111_111_111).Should().Be(0b111_000_000, "the job's own directory is 0700");
        var jobGid = new Mono.Unix.UnixUserInfo("cj-default").GroupId;
        foreach (var (path, mode) in new[] { (control, 0b111_101_000), (Path.Combine(control, "script.sh"), 0b111_101_000) })
        {
            Syscall.lstat(path, out var st).Should().Be(0, path);
            st.st_uid.Should().Be(0u, $"{path} belongs to root: the job may read and run it, not change it");
            ((long)st.st_gid).Should().Be(jobGid, $"{path} has the job's group");
            ((int)st.st_mode & 0b111_111_111).Should().Be(mode, path);
        }
    }

    [Fact]
    public async Task Job_CannotWriteWhereItsUserMayNot_OutsideItsRoots()
    {
        if (!TestsRunAsRoot) return;
        var target = $"/etc/conductor-pwned-{Guid.NewGuid():N}";
        var id = await Client.SubmitAsync($"touch {target}; echo rc=$?");

        var job = await Client.WaitForFinishAsync(id);

        Stdout(job).Should().Be("rc=1\n", "the job's user may not write to /etc");
        File.Exists(target).Should().BeFalse();
    }

    [Theory]
    [InlineData("current_working_directory", "/etc")]
    [InlineData("current_working_directory", "/tmp/../etc")]
    [InlineData("current_working_directory", "/root")]
    [InlineData("standard_output", "/etc/cron.d/pwn")]
    [InlineData("standard_output", "../../../../etc/x")]
    [InlineData("standard_error", "/tmp/../../etc/passwd")]
    public async Task Submit_WithAPathOutsideTheAllowedRoots_Answers400NamingIt(string field, string path)
    {
        var response = await Client.PostRawAsync("/jobs/submit", new JsonObject { ["job"] = new JsonObject { [field] = path }, ["script"] = "true" }.ToJsonString());

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be($"job.{field}");
    }

    [Fact]
    public async Task Submit_ThroughASymlinkThatEscapes_Answers400()
    {
        var link = Path.Combine("/tmp", $"conductor-escape-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(link, "/etc");
        try
        {
            var response = await Client.PostRawAsync("/jobs/submit", new JsonObject
            {
                ["job"] = new JsonObject { ["current_working_directory"] = link }, ["script"] = "true",
            }.ToJsonString());

            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "/tmp/<link> resolves to /etc");
            JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("job.current_working_directory");
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public async Task Worker_RechecksThePaths_AndFailsTheJobSpawnError_WhenOutsideItsRoots()
    {
        var id = await Client.SubmitAsync("echo should-not-run", new { current_working_directory = $"/var/tmp/conductor-{Guid.NewGuid():N}" });

        var job = await Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED", "the worker's roots do not include /var/tmp");
        job["reason"]!.GetValue<string>().Should().Be("SpawnError");
        job["error_msg"]!.GetValue<string>().Should().Contain("allowed roots");
    }

    [Fact]
    public async Task Job_WritingPastTheOutputLimit_EndsFailedOutputLimit()
    {
        var id = await Client.SubmitAsync("head -c 1000000 /dev/zero");

        var job = await Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("OutputLimit");
        new FileInfo(Path.Combine(cluster.DataDir, "jobs", id, "stdout.log")).Length.Should().BeLessThanOrEqualTo(RunAsClusterFixture.OutputLimit);
    }

    private static string Stdout(JsonNode job) => job["job_log"]!["stdout"]!.GetValue<string>();
}
