using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>A GPU job survives its worker's SIGKILL: re-adopted, it keeps its device until it ends, and frees it exactly once.</summary>
public sealed class GpuRecoveryTests
{
    [Fact]
    public async Task AReadoptedGpuJob_KeepsItsDevicesUntilItEnds_ThenFreesThemExactlyOnce()
    {
        await using var owner = new GpuClusterOwner();
        var cluster = await owner.StartAsync();
        var gate = Path.Combine(cluster.DataDir, "gate");
        var a = await cluster.Alice.SubmitAsync(cluster.ProbeScript(gate), new { gpus = 2 });
        await Eventually.Until(() => cluster.Alice.QueryAsync(a), j => j["pid"] is not null, TimeSpan.FromSeconds(20), "the GPU job runs and its pid is recorded");

        await cluster.Worker!.KillAsync();
        var second = await cluster.StartWorkerAsync(cluster.WithGpus(cluster.Settings()));
        await Eventually.Until(() => second.Output.Contains("-> Adopt", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the new worker re-adopts the job");
        var b = await cluster.Alice.SubmitAsync("echo \"CUDA=$CUDA_VISIBLE_DEVICES\"", new { gres = "gpu:1" });
        var waiting = await Eventually.Until(() => cluster.Alice.QueryAsync(b), j => j["reason"]!.GetValue<string>() == "Resources",
            TimeSpan.FromSeconds(10), "the new job waits: the re-adopted job still holds both devices");
        File.WriteAllText(gate, "");
        var first = await cluster.Alice.WaitForFinishAsync(a);
        var next = await cluster.Alice.WaitForFinishAsync(b);

        ConductorClient.State(waiting).Should().Be("PENDING");
        ConductorClient.State(first).Should().Be("COMPLETED", second.Output);
        first["attempt"]!.GetValue<int>().Should().Be(1, "re-adopted, not run again");
        ConductorClient.State(next).Should().Be("COMPLETED", second.Output);
        next["job_log"]!["stdout"]!.GetValue<string>().Should().MatchRegex("^CUDA=[01]\n$");
        next["time"]!["start_time"]!.GetValue<DateTime>().Should().BeOnOrAfter(first["time"]!["end_time"]!.GetValue<DateTime>(),
            "the device was handed on only once the re-adopted job had ended");
        var allocations = await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM allocations WHERE job_id = {a}");
        var released = await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM allocations WHERE job_id = {a} AND released_at IS NOT NULL AND gpu_ids = '{{0,1}}'");
        var releases = await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {a} AND from_state = 'RUNNING'");
        (allocations, released, releases).Should().Be((1L, 1L, 1L), "one allocation, holding both devices, released by the job's one move out of RUNNING");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    /// <summary>Owns a <see cref="GpuCluster"/> for one test (a crash test must not share its node).</summary>
    private sealed class GpuClusterOwner : IAsyncDisposable
    {
        private readonly GpuCluster _cluster = new();

        public async Task<GpuCluster> StartAsync()
        {
            await _cluster.InitializeAsync();
            return _cluster;
        }

        public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();
    }
}
