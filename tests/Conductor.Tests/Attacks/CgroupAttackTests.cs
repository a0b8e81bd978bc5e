using System.Diagnostics;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Conductor.Tests.Integration;

namespace Conductor.Tests.Attacks;

/// <summary>
/// A root worker (CI runs as root) with two accounts mapped to two Unix users, one core each job,
/// a small pids limit so a fork bomb is over quickly.
/// </summary>
public sealed class CgroupAttackFixture : ClusterFixture
{
    public const string AliceUser = "cgattack-alice", BobUser = "cgattack-bob";
    public const int PidsLimit = 200;

    public ConductorClient Alice { get; private set; } = null!;
    public ConductorClient Bob { get; private set; } = null!;

    protected override bool StartWorker => false;

    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var user in new[] { AliceUser, BobUser }) TestUsers.Ensure(user);
        await StartWorkerAsync(Settings() with
        {
            Cpus = 2,
            Extra = new()
            {
                ["Conductor__Worker__AccountUsers__alice"] = AliceUser, ["Conductor__Worker__AccountUsers__bob"] = BobUser,
                ["Conductor__Worker__PidsLimit"] = PidsLimit.ToString(),
            },
        });
        Alice = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "alice"));
        Bob = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "bob"));
    }

}

/// <summary>
/// Each attack runs as a real job of alice under the real root worker and must fail: the job stays
/// in its own root-owned cgroup, within its memory, cores and process count, nothing of it survives
/// its end, and bob's job next to it is unharmed.
/// </summary>
public sealed class CgroupAttackTests(CgroupAttackFixture cluster) : IClassFixture<CgroupAttackFixture>
{
    private ConductorClient Alice => cluster.Alice;
    private ConductorClient Bob => cluster.Bob;

    [Fact]
    public async Task Job_RunsAsItsUser_WithoutCapabilitiesOrOtherGroups_WhileTheSpawnerStaysRoot()
    {
        var id = await Alice.SubmitAsync(
            "grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|NoNewPrivs):' /proc/self/status | tr -s '\\t' ' '\n" +
            "echo \"spawner $(grep '^Uid:' /proc/$PPID/status | tr -s '\\t' ' ')\"\n");

        var job = await Alice.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        var user = new Mono.Unix.UnixUserInfo(CgroupAttackFixture.AliceUser);
        var lines = Stdout(job).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain($"Uid: {user.UserId} {user.UserId} {user.UserId} {user.UserId}", "real, effective, saved and file-system uid are all the job's user");
        lines.Should().Contain($"Gid: {user.GroupId} {user.GroupId} {user.GroupId} {user.GroupId}");
        lines.Should().Contain(l => l.TrimEnd() == $"Groups: {user.GroupId}", "the job has its own group only, none of the spawner's");
        lines.Should().Contain("CapEff: 0000000000000000").And.Contain("CapPrm: 0000000000000000");
        lines.Should().Contain("NoNewPrivs: 1");
        lines.Should().Contain("spawner Uid: 0 0 0 0", "the spawner, the job's parent, stays root while the job runs");
    }

    [Fact]
    public async Task Job_CannotMoveItselfIntoAnotherJobsCgroup_OrAnyOther_AndStaysInItsOwn()
    {
        var bobs = await Bob.SubmitAsync("sleep 60\n");
        await Bob.WaitForStateAsync(bobs, "RUNNING");
        var id = await Alice.SubmitAsync(
            "n=0\nfor f in $(find /sys/fs/cgroup \\( -name cgroup.procs -o -name tasks \\) 2>/dev/null); do\n" +
            "  if (echo $$ >\"$f\") 2>/dev/null; then n=$((n+1)); echo \"moved into $f\"; fi\ndone\necho \"moves $n\"\ncat /proc/self/cgroup\n");

        var job = await Alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
        await Bob.CancelAsync(bobs);

        var output = Stdout(job);
        output.Should().Contain("moves 0\n", "every cgroup.procs and tasks file, bob's job's included, is root's");
        var slot = JobCgroupTests.SlotOf(cluster.DataDir, id)!;
        foreach (var controller in new[] { "memory", "cpuset", "pids", "freezer", "cpuacct" })
            output.Split('\n').Should().Contain(l => l.Split(':').Length == 3 && l.Split(':')[1].Split(',').Contains(controller) && l.EndsWith("/" + slot),
                $"the job is still in its own {controller} cgroup");
        ConductorClient.State(await Bob.WaitForFinishAsync(bobs)).Should().Be("CANCELLED");
    }

    [Fact]
    public async Task Job_AllocatingPastItsMemory_FailsOutOfMemory_AndTheNeighbourCompletes()
    {
        var bobs = await Bob.SubmitAsync("sleep 2\necho fine\n", new { memory_per_node = "64M" });
        await Bob.WaitForStateAsync(bobs, "RUNNING");
        var id = await Alice.SubmitAsync("tail /dev/zero\n", new { memory_per_node = "64M" });

        var job = await Alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
        var neighbour = await Bob.WaitForFinishAsync(bobs);

        job["reason"]!.GetValue<string>().Should().Be("OutOfMemory");
        ConductorClient.State(neighbour).Should().Be("COMPLETED", "only the job past its limit is killed");
        Stdout(neighbour).Should().Be("fine\n");
    }

    [Fact]
    public async Task Job_CannotWidenItsCorePinning_WithTaskset()
    {
        var id = await Alice.SubmitAsync("taskset -pc 0-1023 $$ >/dev/null 2>&1\ntaskset -pc 0-1 $$ >/dev/null 2>&1\ngrep Cpus_allowed_list /proc/self/status\n");

        var job = await Alice.WaitForFinishAsync(id);

        Stdout(job).Should().MatchRegex("^Cpus_allowed_list:\\s+[0-9]+\\n$", "the cpuset holds the job to its one reserved core whatever affinity it asks for");
    }

    [Fact]
    public async Task ForkBomb_IsBoundedByThePidsLimit_IsKilledWhole_AndTheWorkerRunsTheNextJob()
    {
        var id = await Alice.SubmitAsync("bomb() { bomb | bomb & }\nbomb\nsleep 3\n", new { memory_per_node = "512M" });

        var job = await Alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(90));

        var slot = JobCgroupTests.SlotOf(cluster.DataDir, id)!;
        var pids = Directory.GetDirectories("/sys/fs/cgroup/pids", slot, SearchOption.AllDirectories).Single();
        File.ReadAllText(Path.Combine(pids, "pids.events")).Should().MatchRegex("max [1-9]", "the bomb hit pids.max");
        File.ReadAllText(Path.Combine(pids, "cgroup.procs")).Should().BeEmpty("the job ended only once all of it was killed");
        ConductorClient.State(job).Should().BeOneOf("COMPLETED", "FAILED");
        var next = await Bob.SubmitAsync("echo ok\n");
        ConductorClient.State(await Bob.WaitForFinishAsync(next)).Should().Be("COMPLETED", "the worker stays healthy");
    }

    /// <summary>A child in a session of its own and a double-forked one (reparented away from the job); the job waits until both are recorded.</summary>
    private const string Escapers =
        "setsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! > setsid.pid\n" +
        "( sleep 300 </dev/null >/dev/null 2>&1 & echo $! > double.pid )\n" +
        "until [ -s setsid.pid ] && [ -s double.pid ]; do sleep 0.01; done\n";

    [Theory]
    [InlineData("cancel")]
    [InlineData("time limit")]
    [InlineData("main script exits")]
    public async Task ChildrenThatLeaveTheSessionOrDoubleFork_DoNotSurvive(string end)
    {
        var script = Escapers + (end == "main script exits" ? "touch ready\n" : "touch ready\nsleep 300\n");
        var id = await Alice.SubmitAsync(script, end == "time limit" ? new { time_limit = "0:00:03" } : null);
        var dir = Path.Combine(cluster.DataDir, "jobs", id);
        await Eventually.Until(() => File.Exists(Path.Combine(dir, "ready")), TimeSpan.FromSeconds(30), "the job has started its escapers");
        if (end == "cancel") await Alice.CancelAsync(id);

        var job = await Alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        ConductorClient.State(job).Should().Be(end switch { "cancel" => "CANCELLED", "time limit" => "FAILED", _ => "COMPLETED" });
        foreach (var marker in new[] { "setsid.pid", "double.pid" })
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(dir, marker)).Trim());
            Processes.IsAlive(pid).Should().BeFalse($"the {marker[..^4]} child is killed with its job's cgroup after {end}");
        }
    }

    [Fact]
    public async Task KillAllInsideAJob_DoesNotReachTheSpawner_OrAnotherAccountsJob()
    {
        var bobs = await Bob.SubmitAsync("echo $PPID > spawner.pid\nsleep 3\necho survived\n");
        await Bob.WaitForStateAsync(bobs, "RUNNING");
        var id = await Alice.SubmitAsync("kill -9 -1\necho after\n");

        await Alice.WaitForFinishAsync(id);
        var neighbour = await Bob.WaitForFinishAsync(bobs, TimeSpan.FromSeconds(30));

        ConductorClient.State(neighbour).Should().Be("COMPLETED", "alice's user may not signal bob's processes");
        Stdout(neighbour).Should().Be("survived\n");
        var spawner = int.Parse(File.ReadAllText(Path.Combine(cluster.DataDir, "jobs", bobs, "spawner.pid")).Trim());
        Processes.IsAlive(spawner).Should().BeTrue("the spawner is root and never shares a uid with a job");
        var again = await Alice.SubmitAsync("echo $PPID\n");
        var later = await Alice.WaitForFinishAsync(again);
        Stdout(later).Should().Be($"{spawner}\n", "the same spawner goes on starting jobs");
    }

    private static string Stdout(JsonNode job) => job["job_log"]!["stdout"]!.GetValue<string>();
}
