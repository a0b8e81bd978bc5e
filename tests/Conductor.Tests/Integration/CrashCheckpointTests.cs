using Conductor.Tests.Infrastructure;
using Conductor.Worker.Supervision;

namespace Conductor.Tests.Integration;

/// <summary>
/// For each crash window of claim → spawn → record pid → wait → finish, a real worker SIGKILLs
/// itself there; a fresh worker process then recovers. The job must end truthfully, run at most
/// once (its script appends to a marker file), and the core invariants must hold.
/// </summary>
public sealed class CrashCheckpointTests
{
    public static TheoryData<string> Checkpoints => new(CrashPoints.All);

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task WorkerKilledAtCheckpoint_JobCompletesOnce_AndInvariantsHold(string checkpoint)
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var marker = Path.Combine(cluster.DataDir, "runs");
        var crashing = await cluster.StartWorkerAsync(cluster.Settings(checkpoint));

        var id = await cluster.Client.SubmitAsync($"echo run >> {marker}\nsleep 1\necho done\n");
        await Eventually.Until(() => crashing.HasExited, TimeSpan.FromSeconds(30), $"the worker kills itself at {checkpoint}");
        await Invariants.AssertHoldAsync(cluster.Database);
        var recovering = await cluster.StartWorkerAsync();
        var job = await cluster.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(40));

        ConductorClient.State(job).Should().Be("COMPLETED", $"the job survives a crash at {checkpoint}\n{recovering.Output}");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("done\n");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("0:0");
        File.ReadAllLines(marker).Should().HaveCount(1, "a job is spawned at most once per attempt");
        job["attempt"]!.GetValue<int>().Should().Be(1, "a claim that never spawned does not count as an attempt");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task WorkerKilledBeforeFinish_NonZeroExit_IsRecordedTruthfully()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var crashing = await cluster.StartWorkerAsync(cluster.Settings(CrashPoints.BeforeFinish));

        var id = await cluster.Client.SubmitAsync("echo partial\nexit 42\n");
        await Eventually.Until(() => crashing.HasExited, TimeSpan.FromSeconds(30), "the worker dies after the job ended");
        await cluster.StartWorkerAsync();
        var job = await cluster.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(30));

        ConductorClient.State(job).Should().Be("FAILED");
        job["reason"]!.GetValue<string>().Should().Be("NonZeroExitCode", "the exit status on disk tells the truth");
        job["detail"]!["exit_code"]!.GetValue<string>().Should().Be("42:0");
        await Invariants.AssertHoldAsync(cluster.Database);
    }
}
