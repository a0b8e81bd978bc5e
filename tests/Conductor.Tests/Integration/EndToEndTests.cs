using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Submit → run on reserved cores → query → cancel, with a real worker and real bash.</summary>
public sealed class EndToEndTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private ConductorClient Client => cluster.Client;

    [Fact]
    public async Task Submit_RunsToCompleted_WithStdoutAndStderrInJobLog()
    {
        var id = await Client.SubmitAsync("#!/bin/bash\necho \"hello $CONDUCTOR_JOB_ID $SLURM_JOB_NAME\"\necho oops >&2\n",
            new { name = "greeter", cpus_per_task = 1, time_limit = "5" });

        var job = await Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be($"hello {id} greeter\n", "the job sees its id and name");
        job["job_log"]!["stderr"]!.GetValue<string>().Should().Be("oops\n");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("0:0");
        job["detail"]!["node_list"]!.GetValue<string>().Should().Be(cluster.NodeName);
        job["time"]!["start_time"].Should().NotBeNull();
        job["time"]!["end_time"].Should().NotBeNull();
        job["pid"].Should().NotBeNull("the worker records the pid of the job's process");
    }

    [Fact]
    public async Task NonZeroExit_EndsFailed_WithThatExitCode()
    {
        var id = await Client.SubmitAsync("exit 3");

        var job = await Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("NonZeroExitCode");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("3:0");
    }

    [Fact]
    public async Task ScriptWithAnotherInterpreterLine_RunsWithThatInterpreter()
    {
        var id = await Client.SubmitAsync("#!/usr/bin/awk -f\nBEGIN { print \"from awk\"; exit 4 }\n");

        var job = await Client.WaitForFinishAsync(id);

        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("from awk\n");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("4:0");
    }

    [Fact]
    public async Task BashScript_SeesItsArgumentsEmpty_AndNoneOfTheWrapperVariables()
    {
        var id = await Client.SubmitAsync("echo \"args=$# ${__cj_dir-none} ${__cj_out-none}\"\nexit 0\n");

        var job = await Client.WaitForFinishAsync(id);

        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("args=0 none none\n");
    }

    [Fact]
    public async Task JobOverItsMemory_IsKilled_AndReportedOutOfMemory()
    {
        // tail buffers an endless line: its memory grows until the job's cgroup limit stops it.
        var id = await Client.SubmitAsync("echo before\ntail /dev/zero\necho after\n", new { memory_per_node = "64M" });

        var job = await Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("OutOfMemory", "the kernel killed it inside its 64 MB memory cgroup");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().StartWith("before\n");
    }

    [Fact]
    public async Task JobSeesExactlyItsOwnCores()
    {
        var id = await Client.SubmitAsync("nproc; echo $CONDUCTOR_CPUS $SLURM_CPUS_ON_NODE", new { cpus_per_task = 2 });

        var job = await Client.WaitForFinishAsync(id);

        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("2\n2 2\n", "a 2-core job is pinned to exactly two cores");
        job["cpu_ids"]!.AsArray().Select(n => n!.GetValue<int>()).Should().BeEquivalentTo([0, 1]);
    }

    [Fact]
    public async Task Cancel_OfRunningJob_KillsTheWholeProcessTree()
    {
        var marker = Path.Combine(cluster.DataDir, $"children-{Guid.NewGuid():N}");
        var id = await Client.SubmitAsync($"sleep 300 & echo $! >> {marker}\n(sleep 300; echo never) & echo $! >> {marker}\necho started\nwait\n");
        await Client.WaitForStateAsync(id, "RUNNING");
        await Eventually.Until(() => File.Exists(marker) && File.ReadAllLines(marker).Length == 2, TimeSpan.FromSeconds(10), "both children started");
        var children = File.ReadAllLines(marker).Select(int.Parse).ToList();

        var (status, body) = await Client.CancelAsync(id);

        status.Should().Be(HttpStatusCode.OK);
        body!["state"]!.GetValue<string>().Should().Be("RUNNING", "a running job is being stopped, not yet stopped");
        var job = await Client.WaitForFinishAsync(id);
        ConductorClient.State(job).Should().Be("CANCELLED");
        job["reason"]!.GetValue<string>().Should().Be("CancelledByUser");
        await Processes.WaitAllGoneAsync(children, "cancel kills the job's whole process tree");
    }

    [Fact]
    public async Task Cancel_IsIdempotent_AndUnknownJobIsNotFound()
    {
        var id = await Client.SubmitAsync("sleep 30");
        await Client.WaitForStateAsync(id, "RUNNING");

        await Client.CancelAsync(id);
        await Client.WaitForFinishAsync(id);
        var (again, body) = await Client.CancelAsync(id);

        again.Should().Be(HttpStatusCode.OK, "cancelling a finished job is not an error");
        body!["state"]!.GetValue<string>().Should().Be("CANCELLED");
        (await Client.CancelAsync("987654321")).Status.Should().Be(HttpStatusCode.NotFound);
        (await Client.Http.GetAsync("/jobs/query/987654321")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TimeLimit_StopsTheTree_AndEndsFailedTimeLimit()
    {
        var marker = Path.Combine(cluster.DataDir, $"tl-{Guid.NewGuid():N}");
        var id = await Client.SubmitAsync($"sleep 300 & echo $! > {marker}\nwait\n", new { time_limit = "0:00:02" });

        var job = await Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(30));

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("TimeLimit");
        var child = int.Parse(File.ReadAllText(marker).Trim());
        await Processes.WaitAllGoneAsync([child], "the time limit kills the child the script started");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("0:15", "the script died of SIGTERM: Slurm's code:signal");
    }
}
