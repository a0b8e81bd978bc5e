using System.Net;
using System.Text.Json.Nodes;
using Conductor.Core.Operations;
using Conductor.Tests.Infrastructure;
using Npgsql;

namespace Conductor.Tests.Integration;

/// <summary>
/// A real root worker on this GPU-less machine, configured with two a100 GPUs whose device nodes
/// are fakes made with mknod (NVIDIA's major 195, no driver: opening an allowed one fails with
/// ENXIO, a denied one with EPERM from the devices cgroup). Two accounts with tokens: alice submits,
/// bob looks.
/// </summary>
public sealed class GpuCluster : ClusterFixture
{
    public string Devices { get; } = Path.Combine("/tmp", $"cj-gpus-{Guid.NewGuid():N}"[..20]);
    public ConductorClient Alice { get; private set; } = null!;
    public ConductorClient Bob { get; private set; } = null!;

    protected override bool StartWorker => false;
    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Directory.CreateDirectory(Devices);
        File.SetUnixFileMode(Devices, (UnixFileMode)0b111_101_101);
        foreach (var minor in new[] { 0, 1 })
        {
            var path = Path.Combine(Devices, $"nvidia{minor}");
            Mono.Unix.Native.Syscall.mknod(path, Mono.Unix.Native.FilePermissions.S_IFCHR | Mono.Unix.Native.FilePermissions.ACCESSPERMS,
                (ulong)((195 << 8) | minor)).Should().Be(0, "root makes the fake device node {0}", path);
            Mono.Unix.Native.Syscall.chmod(path, Mono.Unix.Native.FilePermissions.ACCESSPERMS);
        }
        Alice = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "gpu-alice"));
        Bob = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "gpu-bob"));
        await StartWorkerAsync(WithGpus(Settings()));
    }

    public WorkerSettings WithGpus(WorkerSettings settings) => settings with
    {
        Extra = new() { ["Conductor__Worker__Gpus"] = $"0:a100:nvidia:{Devices}/nvidia0,1:a100:nvidia:{Devices}/nvidia1" },
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Devices, recursive: true);
    }

    /// <summary>A job that prints what it was told and which device nodes it may open, then waits for <paramref name="gate"/>.</summary>
    public string ProbeScript(string gate) => $$"""
        echo "CUDA=${CUDA_VISIBLE_DEVICES-unset} JOB_GPUS=${SLURM_JOB_GPUS-unset} ORD=${GPU_DEVICE_ORDINAL-unset} ROCR=${ROCR_VISIBLE_DEVICES-unset}"
        for d in 0 1; do
          msg=$( (exec 3<>{{Devices}}/nvidia$d) 2>&1 )
          case "$msg" in
            *"not permitted"*) echo "gpu$d denied" ;;
            *"No such device"*) echo "gpu$d allowed" ;;
            *) echo "gpu$d other: $msg" ;;
          esac
        done
        while [ ! -e {{gate}} ]; do sleep 0.1; done
        """;
}

public sealed class GpuTests(GpuCluster cluster) : IClassFixture<GpuCluster>
{
    private static int[] GpuIds(JsonNode job) => job["gpu_ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();

    private static string Stdout(JsonNode job) => job["job_log"]!["stdout"]!.GetValue<string>();

    [Fact]
    public async Task TwoOneGpuJobs_RunAtOnceOnDifferentDevices_SeeOnlyTheirOwn_AndAThirdWaitsForResources()
    {
        var gate = Path.Combine(cluster.DataDir, $"gate-{Guid.NewGuid():N}");
        var a = await cluster.Alice.SubmitAsync(cluster.ProbeScript(gate), new { gres = "gpu:1", time_limit = "10" });
        var b = await cluster.Alice.SubmitAsync(cluster.ProbeScript(gate), new { gpus = 1, time_limit = "10" });
        var c = await cluster.Alice.SubmitAsync(cluster.ProbeScript(gate), new { gres = "gpu:a100:1", time_limit = "10" });

        var first = await cluster.Alice.WaitForStateAsync(a, "RUNNING");
        var second = await cluster.Alice.WaitForStateAsync(b, "RUNNING");
        var third = await Eventually.Until(() => cluster.Alice.QueryAsync(c), j => j["reason"]!.GetValue<string>() == "Resources",
            TimeSpan.FromSeconds(10), "the third GPU job waits for a device");
        var nodes = await cluster.Bob.GetJsonAsync("/nodes");
        var mine = await cluster.Alice.GetJsonAsync("/nodes");
        var printed = await Eventually.Until(async () => (Stdout(await cluster.Alice.QueryAsync(a)), Stdout(await cluster.Alice.QueryAsync(b))),
            o => o.Item1.Contains("gpu1 ") && o.Item2.Contains("gpu1 "), TimeSpan.FromSeconds(10), "both jobs printed what they see");
        File.WriteAllText(gate, "");
        var last = await cluster.Alice.WaitForFinishAsync(c);

        GpuIds(first).Concat(GpuIds(second)).Should().BeEquivalentTo([0, 1], "each job holds its own device");
        ConductorClient.State(third).Should().Be("PENDING");
        first["gres"]!.GetValue<string>().Should().Be("gpu:1");
        foreach (var (job, output) in new[] { (first, printed.Item1), (second, printed.Item2) })
        {
            var own = GpuIds(job).Single();
            var other = 1 - own;
            output.Should().StartWith($"CUDA={own} JOB_GPUS={own} ORD={own} ROCR=unset\n", "the job is told exactly its device");
            output.Should().Contain($"gpu{own} allowed").And.Contain($"gpu{other} denied", "its cgroup denies the other job's device node");
        }
        ConductorClient.State(last).Should().Be("COMPLETED", cluster.Worker!.Output);
        GpuIds(last).Should().ContainSingle("the third job got a device once one was free");
        var devices = (JsonArray)nodes["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == cluster.NodeName)!["devices"]!;
        devices.Select(d => (d!["id"]!.GetValue<int>(), d["model"]!.GetValue<string>(), d["held"]!.GetValue<bool>()))
            .Should().Equal((0, "a100", true), (1, "a100", true));
        devices.Should().OnlyContain(d => d!["job_id"] == null, "bob sees that the devices are held, not by which of alice's jobs");
        var alicesView = mine["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == cluster.NodeName)!["devices"]!.AsArray();
        alicesView.Select(d => d!["job_id"]!.GetValue<string>()).Should().BeEquivalentTo([a, b], "alice sees which of her jobs holds each device");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task AJobWithoutGpus_OnAGpuNode_IsToldNoneAndCanOpenNone()
    {
        var gate = Path.Combine(cluster.DataDir, $"gate-{Guid.NewGuid():N}");
        File.WriteAllText(gate, "");

        var job = await cluster.Alice.WaitForFinishAsync(await cluster.Alice.SubmitAsync(cluster.ProbeScript(gate)));

        Stdout(job).Should().Be("CUDA=unset JOB_GPUS=unset ORD=unset ROCR=unset\ngpu0 denied\ngpu1 denied\n", cluster.Worker!.Output);
        GpuIds(job).Should().BeEmpty();
    }

    [Theory]
    [InlineData("""{"gpus": 3}""", "job.gpus", "has 2")]
    [InlineData("""{"gres": "gpu:3"}""", "job.gres", "has 2")]
    [InlineData("""{"gres": "gpu:h100:1"}""", "job.gres", "its models: a100")]
    [InlineData("""{"gpus": "h100:1"}""", "job.gpus", "h100")]
    [InlineData("""{"gres": "mps:100"}""", "job.gres", "only the 'gpu' resource")]
    [InlineData("""{"gres": "gpu:1", "gpus": 1}""", "job.gpus", "not both")]
    [InlineData("""{"gpus": -1}""", "job.gpus", "count")]
    [InlineData("""{"partition": "default", "gpu": 1}""", "job.gpu", "did you mean 'job.gpus'")]
    [InlineData("""{"environment": {"CUDA_VISIBLE_DEVICES": "0,1"}}""", "job.environment.CUDA_VISIBLE_DEVICES", "GPUs")]
    [InlineData("""{"environment": {"SLURM_JOB_GPUS": "1"}}""", "job.environment.SLURM_JOB_GPUS", "GPUs")]
    public async Task ARequestNoNodeCanMeet_OrAGpuVariableSetByHand_IsA400NamingTheField(string job, string field, string says)
    {
        var response = await cluster.Alice.PostRawAsync("/jobs/submit", $$"""{"job": {{job}}, "script": "true"}""");
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        body.Should().Contain($"\"{field}\"").And.Contain(says);
    }

    [Fact]
    public async Task APlantedDeviceHeldTwice_IsFoundByTheInvariantCheck()
    {
        var node = $"gpu-plant-{Guid.NewGuid():N}"[..18];
        var one = await Seed.RunningJobAsync(cluster.Database, node, 0);
        var two = await Seed.RunningJobAsync(cluster.Database, node, 1);
        await cluster.Database.ExecuteAsync($"UPDATE allocations SET gpu_ids = '{{1}}' WHERE job_id IN ({one}, {two})");
        await using var db = NpgsqlDataSource.Create(cluster.Database.ConnectionString);

        var check = await new InvariantChecks(db).NoGpuHeldTwiceAsync(CancellationToken.None);
        await cluster.Database.ExecuteAsync($"UPDATE jobs SET state = 'CANCELLED', end_time = now() WHERE id IN ({one}, {two})");
        await cluster.Database.ExecuteAsync($"UPDATE allocations SET released_at = now() WHERE job_id IN ({one}, {two})");

        check.Status.Should().Be(CheckStatus.Critical);
        check.Message.Should().Contain($"GPU 1 of {node} held by jobs {one},{two}");
    }
}
