using System.Diagnostics;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>A worker restart settles every job it held: re-adopt, finish truthfully, or fail as orphaned.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task JobSurvivesWorkerSigkill_AndCompletesLaterWithItsRealExitCodeAndFullOutput()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var gate = Path.Combine(cluster.DataDir, "gate");
        var id = await cluster.Client.SubmitAsync($"echo start\nwhile [ ! -e {gate} ]; do sleep 0.1; done\necho end\nexit 7\n");
        var running = await cluster.Client.WaitForStateAsync(id, "RUNNING");
        await Eventually.Until(() => cluster.Client.QueryAsync(id), j => j["pid"] is not null, TimeSpan.FromSeconds(10), "the pid is recorded");

        await first.KillAsync();
        var pid = (await cluster.Client.QueryAsync(id))["pid"]!.GetValue<int>();
        Processes.IsAlive(pid).Should().BeTrue("a worker crash neither kills nor silences a job");
        var second = await cluster.StartWorkerAsync();
        await Eventually.Until(() => second.Output.Contains("-> Adopt", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the new worker re-adopts the job");
        File.WriteAllText(gate, "");
        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED", second.Output);
        job["reason"]!.GetValue<string>().Should().Be("NonZeroExitCode");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("7:0", "the exit code comes from the job's own wrapper");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("start\nend\n", "output went to files, not through the worker");
        running["attempt"]!.GetValue<int>().Should().Be(1);
        job["attempt"]!.GetValue<int>().Should().Be(1, "a re-adopted job is the same attempt, never a second run");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task JobKilledWhileTheWorkerIsDown_EndsFailedWithTheSignalItDiedOf()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecordedPidAsync(cluster, id);

        await first.KillAsync();
        Mono.Unix.Native.Syscall.kill(-pid, Mono.Unix.Native.Signum.SIGKILL);
        await Processes.WaitAllGoneAsync([pid], "the job's process group is gone");
        var second = await cluster.StartWorkerAsync();
        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED", second.Output);
        job["reason"]!.GetValue<string>().Should().Be("NonZeroExitCode", "the job's spawner outlived the worker and recorded how the job ended");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("0:9", "killed by SIGKILL, as sacct shows it");
        job["error_msg"]!.GetValue<string>().Should().Contain("signal 9");
        job["attempt"]!.GetValue<int>().Should().Be(1);
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task ProcessGoneWithoutExitStatus_EndsFailedOrphaned()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecordedPidAsync(cluster, id);

        await first.KillAsync();
        await KillSpawnerOfAsync(pid); // nothing is left to record how the job ends
        Mono.Unix.Native.Syscall.kill(-pid, Mono.Unix.Native.Signum.SIGKILL);
        await Processes.WaitAllGoneAsync([pid], "the job's process group is gone");
        await cluster.StartWorkerAsync();
        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("Orphaned");
        job["error_msg"]!.GetValue<string>().Should().Contain("worker exited abnormally");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task RecordedPidReusedByAnUnrelatedProcess_IsNeverSignalled_AndTheJobEndsOrphaned()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecordedPidAsync(cluster, id);
        await first.KillAsync();
        await KillSpawnerOfAsync(pid);
        Mono.Unix.Native.Syscall.kill(-pid, Mono.Unix.Native.Signum.SIGKILL);
        await Processes.WaitAllGoneAsync([pid], "the job's process group is gone");

        // While the worker is down, the recorded pid now names a stranger (we point the row at one).
        using var stranger = Process.Start(new ProcessStartInfo("sleep", "120"))!;
        await cluster.Database.ExecuteAsync($"UPDATE jobs SET pid = {stranger.Id} WHERE id = {id}");
        await cluster.StartWorkerAsync();
        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("Orphaned", "a pid whose start time does not match is not the job's process");
        Processes.IsAlive(stranger.Id).Should().BeTrue("recovery never signals a process that is not the job's");
        stranger.Kill();
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task CancelRequestedWhileWorkerDown_KillsTheTreeOnRestart_AndEndsCancelled()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecordedPidAsync(cluster, id);
        await first.KillAsync();

        (await cluster.Client.CancelAsync(id)).Status.Should().Be(System.Net.HttpStatusCode.OK);
        await cluster.StartWorkerAsync();
        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("CANCELLED");
        await Processes.WaitAllGoneAsync([pid], "the re-adopted job's tree is killed");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task RecoveryRunTwice_ChangesNothingTheSecondTime()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync();
        var done = await cluster.Client.SubmitAsync("true");
        await cluster.Client.WaitForFinishAsync(done);
        var id = await cluster.Client.SubmitAsync("sleep 300");
        await RecordedPidAsync(cluster, id);
        await first.KillAsync();

        var second = await cluster.StartWorkerAsync();
        await Eventually.Until(() => second.Output.Contains("Recovery of", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "recovery ran");
        var eventsAfterFirst = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM job_events");
        await second.KillAsync();
        var third = await cluster.StartWorkerAsync();
        await Eventually.Until(() => third.Output.Contains("Recovery of", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "recovery ran again");

        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM job_events")).Should().Be(eventsAfterFirst, "a second recovery moves nothing");
        ConductorClient.State(await cluster.Client.QueryAsync(id)).Should().Be("RUNNING", "the live job is simply re-adopted again");
        await Invariants.AssertHoldAsync(cluster.Database);
        await cluster.Client.CancelAsync(id);
        await cluster.Client.WaitForFinishAsync(id);
    }

    /// <summary>SIGKILLs the job's parent, its spawner, as if everything of the worker had died at once.</summary>
    private static async Task KillSpawnerOfAsync(int jobPid)
    {
        var spawner = Processes.ParentOf(jobPid);
        Processes.CommandLine(spawner).Should().Contain("spawner", "a job's parent is the spawner of the worker that started it");
        Mono.Unix.Native.Syscall.kill(spawner, Mono.Unix.Native.Signum.SIGKILL);
        await Processes.WaitAllGoneAsync([spawner], "the spawner is gone");
    }

    internal static async Task<int> RecordedPidAsync(ClusterFixture cluster, string id)
    {
        var job = await Eventually.Until(() => cluster.Client.QueryAsync(id), j => j["pid"] is not null, TimeSpan.FromSeconds(20), $"job {id} records its pid");
        return job["pid"]!.GetValue<int>();
    }
}
