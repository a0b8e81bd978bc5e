using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>SIGTERM: stop claiming at once and exit within 5 s; jobs are left running (default) or killed (OnShutdown=Kill).</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_LeavesJobsRunning_ExitsWithinFiveSeconds_AndTheNextStartReadoptsThem()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var worker = await cluster.StartWorkerAsync();
        var gate = Path.Combine(cluster.DataDir, "gate");
        var id = await cluster.Client.SubmitAsync($"while [ ! -e {gate} ]; do sleep 0.1; done\necho survived\n");
        var pid = await RecoveryTests.RecordedPidAsync(cluster, id);

        worker.Terminate();

        (await worker.WaitForExitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue("a worker exits within 5 s of SIGTERM\n" + worker.Output);
        Processes.IsAlive(pid).Should().BeTrue("by default a stopping worker leaves its jobs running");
        ConductorClient.State(await cluster.Client.QueryAsync(id)).Should().Be("RUNNING");
        await cluster.StartWorkerAsync();
        File.WriteAllText(gate, "");
        var job = await cluster.Client.WaitForFinishAsync(id);
        ConductorClient.State(job).Should().Be("COMPLETED");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("survived\n");
    }

    [Fact]
    public async Task Sigterm_WithOnShutdownKill_KillsTheTrees_AndRecordsWorkerShutdown()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var worker = await cluster.StartWorkerAsync(cluster.Settings() with { OnShutdown = "Kill" });
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecoveryTests.RecordedPidAsync(cluster, id);

        worker.Terminate();

        (await worker.WaitForExitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue("a worker exits within 5 s of SIGTERM\n" + worker.Output);
        var job = await cluster.Client.QueryAsync(id);
        ConductorClient.State(job).Should().Be("FAILED", worker.Output);
        job["reason"]!.GetValue<string>().Should().Be("WorkerShutdown");
        await Processes.WaitAllGoneAsync([pid], "the job's tree is killed with the worker");
        await Invariants.AssertHoldAsync(cluster.Database);
    }
}
