using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Dead nodes are fenced by their peers; a node name is owned by one worker process at a time.</summary>
public sealed class NodeLivenessTests
{
    [Fact]
    public async Task KilledNode_ItsJobsEndNodeFail_WithinLeasePlusTenSeconds_AndSurvivorsAreKilledWhenItReturns()
    {
        // The API's own reaper gets a long lease here, so the peer worker is what must notice.
        await using var cluster = await ClusterFixture.StartIdleAsync(new Dictionary<string, string> { ["Conductor:Worker:LeaseSeconds"] = "600" });
        var nodeA = cluster.Settings() with { Name = cluster.NodeName + "-a", Partition = "pa", Cpus = 1, LeaseSeconds = 5 };
        var nodeB = cluster.Settings() with { Name = cluster.NodeName + "-b", Partition = "pb", Cpus = 1, LeaseSeconds = 5 };
        var a = await cluster.StartWorkerAsync(nodeA);
        await cluster.StartWorkerAsync(nodeB);
        var id = await cluster.Client.SubmitAsync("sleep 300", new { partition = "pa" });
        var pid = await RecoveryTests.RecordedPidAsync(cluster, id);

        await a.KillAsync();
        var killedAt = DateTime.UtcNow;
        var job = await Eventually.Until(() => cluster.Client.QueryAsync(id), j => ConductorClient.State(j) != "RUNNING",
            TimeSpan.FromSeconds(5 + 10), "the peer declares the silent node dead");

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("NodeFail");
        (DateTime.UtcNow - killedAt).Should().BeLessThan(TimeSpan.FromSeconds(15));
        var nodes = await cluster.Client.GetJsonAsync("/nodes");
        nodes["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == nodeA.Name)!["state"]!.GetValue<string>().Should().Be("DOWN");
        await Invariants.AssertHoldAsync(cluster.Database);
        Processes.IsAlive(pid).Should().BeTrue("nothing could kill the job while its node was unreachable");

        await cluster.StartWorkerAsync(nodeA);
        await Processes.WaitAllGoneAsync([pid], "the returning node kills the survivor of its NodeFail job before taking work");
        var next = await cluster.Client.SubmitAsync("echo back", new { partition = "pa" });
        ConductorClient.State(await cluster.Client.WaitForFinishAsync(next)).Should().Be("COMPLETED", "the node takes work again");
    }

    [Fact]
    public async Task SecondWorkerWithTheSameName_TakesOver_AndTheFirstStopsAndExits()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var gate = Path.Combine(cluster.DataDir, "gate");
        var id = await cluster.Client.SubmitAsync($"while [ ! -e {gate} ]; do sleep 0.1; done\necho finished\n");
        await RecoveryTests.RecordedPidAsync(cluster, id);

        var second = await cluster.StartWorkerAsync();
        (await first.WaitForExitAsync(TimeSpan.FromSeconds(15))).Should().BeTrue("the older process is fenced and leaves\n" + first.Output);
        File.WriteAllText(gate, "");
        var job = await cluster.Client.WaitForFinishAsync(id);
        var other = await cluster.Client.SubmitAsync("echo on the new one");
        var otherJob = await cluster.Client.WaitForFinishAsync(other);

        ConductorClient.State(job).Should().Be("COMPLETED", "the newer process re-adopted the running job\n" + second.Output);
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("finished\n");
        ConductorClient.State(otherJob).Should().Be("COMPLETED");
        first.Output.Should().NotContain($"Job {other} started", "the fenced process never claims again");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task StalledWorkerDeclaredDead_KillsItsNodeFailJobsWhenItWakes_AndTakesWorkAgain()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync(new Dictionary<string, string> { ["Conductor:Worker:LeaseSeconds"] = "3" });
        var worker = await cluster.StartWorkerAsync(cluster.Settings() with { LeaseSeconds = 3 });
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecoveryTests.RecordedPidAsync(cluster, id);

        Mono.Unix.Native.Syscall.kill(worker.Pid, Mono.Unix.Native.Signum.SIGSTOP); // a stall: GC pause, swap storm, frozen VM
        try
        {
            var failed = await Eventually.Until(() => cluster.Client.QueryAsync(id), j => ConductorClient.State(j) != "RUNNING",
                TimeSpan.FromSeconds(20), "the API declares the silent node dead");
            failed["reason"]!.GetValue<string>().Should().Be("NodeFail");
        }
        finally
        {
            Mono.Unix.Native.Syscall.kill(worker.Pid, Mono.Unix.Native.Signum.SIGCONT);
        }

        await Processes.WaitAllGoneAsync([pid], "the woken worker kills the process of a job everyone else considers failed");
        var next = await cluster.Client.SubmitAsync("echo rejoined");
        ConductorClient.State(await cluster.Client.WaitForFinishAsync(next)).Should().Be("COMPLETED", "the node rejoins\n" + worker.Output);
        ConductorClient.State(await cluster.Client.QueryAsync(id)).Should().Be("FAILED", "a terminal state never changes");
        await Invariants.AssertHoldAsync(cluster.Database);
    }
}
