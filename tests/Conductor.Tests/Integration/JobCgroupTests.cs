using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Conductor.Worker;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Cgroups;
using Conductor.Worker.Supervision;

namespace Conductor.Tests.Integration;

/// <summary>
/// Job cgroups are slots reused from job to job (creating and removing one per job costs the
/// kernel more than a short job): reuse must neither leak one job's OOM kill or usage into the
/// next job's outcome nor hand out a slot something still runs in.
/// </summary>
public sealed class JobCgroupTests
{
    [Fact]
    public async Task SlotIsReusedByLaterJobs_AndAnEarlierOomKillIsNotCountedAgainstThem()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        var oom = await cluster.Client.SubmitAsync("tail /dev/zero\n", new { memory_per_node = "64M" });
        var first = await cluster.Client.WaitForFinishAsync(oom, TimeSpan.FromSeconds(60));
        first["reason"]!.GetValue<string>().Should().Be("OutOfMemory");

        var later = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = await cluster.Client.SubmitAsync("head -c 1000000 /dev/zero | wc -c\n", new { memory_per_node = "64M" });
            var job = await cluster.Client.WaitForFinishAsync(id);
            ConductorClient.State(job).Should().Be("COMPLETED", "the OOM kill of an earlier job in the same slot is not this job's");
            later.Add(id);
        }

        var slots = new[] { oom }.Concat(later).Select(id => SlotOf(cluster.DataDir, id)).ToList();
        slots.Distinct().Should().ContainSingle("one core runs one job at a time, so every job gets the same slot back");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task JobsCpuTimeAndPeakMemory_AreRecordedFromItsCgroup_NotFromThePreviousJobInTheSlot()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        // About 0.3 s of CPU in a background child and 50 MB held in a shell variable, then a light job in the same slot.
        var heavy = await cluster.Client.SubmitAsync(
            "( end=$((SECONDS+1)); n=0; while [ $SECONDS -lt $end ] && [ $n -lt 60000 ]; do n=$((n+1)); done ) &\nx=$(head -c 50000000 /dev/zero | tr '\\0' a)\nwait\n",
            new { memory_per_node = "256M" });
        ConductorClient.State(await cluster.Client.WaitForFinishAsync(heavy, TimeSpan.FromSeconds(60))).Should().Be("COMPLETED");
        var light = await cluster.Client.SubmitAsync("true\n", new { memory_per_node = "256M" });
        ConductorClient.State(await cluster.Client.WaitForFinishAsync(light)).Should().Be("COMPLETED");

        var heavyCpu = await cluster.Database.ScalarAsync<double>($"SELECT cpu_seconds FROM jobs WHERE id = {heavy}");
        var heavyPeak = await cluster.Database.ScalarAsync<long>($"SELECT peak_memory_bytes FROM jobs WHERE id = {heavy}");
        var lightPeak = await cluster.Database.ScalarAsync<long>($"SELECT peak_memory_bytes FROM jobs WHERE id = {light}");
        heavyCpu.Should().BeGreaterThan(0.1, "the job's background child burned CPU, counted with the job");
        heavyPeak.Should().BeGreaterThan(50_000_000, "the job held 50 MB");
        lightPeak.Should().BeLessThan(50_000_000, "the slot's peak is reset for the next job");
        SlotOf(cluster.DataDir, light).Should().Be(SlotOf(cluster.DataDir, heavy));
    }

    [Fact]
    public async Task AChildThatLeftTheJobsSession_IsKilledWithTheJob_AndTheSlotGoesToTheNextJob()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        // A child that leaves the job's session is out of its process group but not of its cgroup.
        var escaped = Path.Combine(cluster.DataDir, "escaped.pid");
        var first = await cluster.Client.SubmitAsync(
            $"setsid sleep 60 </dev/null >/dev/null 2>&1 &\nchild=$!\necho $child > {escaped}\n" +
            "until [ \"$(cut -d' ' -f6 /proc/$child/stat)\" = \"$child\" ]; do sleep 0.01; done\n",
            new { memory_per_node = "64M" });
        var job = await cluster.Client.WaitForFinishAsync(first);
        ConductorClient.State(job).Should().Be("COMPLETED");
        var pid = int.Parse(File.ReadAllText(escaped).Trim());
        Processes.IsAlive(pid).Should().BeFalse("the job has ended only once its cgroup is empty");

        var second = await cluster.Client.SubmitAsync("true\n", new { memory_per_node = "64M" });
        ConductorClient.State(await cluster.Client.WaitForFinishAsync(second)).Should().Be("COMPLETED");
        SlotOf(cluster.DataDir, second).Should().Be(SlotOf(cluster.DataDir, first), "nothing of the first job runs in its slot any more");
    }

    [Fact]
    public async Task ReAdoptedJob_IsEndedWholeFromItsRecordedCgroup_WhenItsMainProcessExits()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var first = await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        var gate = Path.Combine(cluster.DataDir, "gate");
        var id = await cluster.Client.SubmitAsync(
            "setsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! > escaped.pid\n" +
            $"while [ ! -e {gate} ]; do sleep 0.1; done\n");
        await Eventually.Until(() => cluster.Client.QueryAsync(id), j => j["pid"] is not null, TimeSpan.FromSeconds(10), "the pid is recorded");
        var escaped = Path.Combine(cluster.DataDir, "jobs", id, "escaped.pid");
        await Eventually.Until(() => File.Exists(escaped) && File.ReadAllText(escaped).Trim().Length > 0, TimeSpan.FromSeconds(10), "the child is started");

        await first.KillAsync();
        var second = await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        await Eventually.Until(() => second.Output.Contains("-> Adopt", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the new worker re-adopts the job");
        File.WriteAllText(gate, "");
        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", second.Output);
        Processes.IsAlive(int.Parse(File.ReadAllText(escaped).Trim())).Should().BeFalse("the re-adopted job's cgroup, read from its control record, is emptied at its end");
    }

    [Fact]
    public async Task SlotOfAJobThatEndedWhileItsWorkerWasDown_IsNotLentToAnotherNode_AndTheJobKeepsItsOutcome()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var settings = cluster.Settings() with { Cpus = 1, LeaseSeconds = 120 };
        var crashing = await cluster.StartWorkerAsync(settings with { FaultPoint = CrashPoints.BeforeFinish });
        var ended = await cluster.Client.SubmitAsync("echo done\n", new { memory_per_node = "64M" });
        await Eventually.Until(() => crashing.HasExited, TimeSpan.FromSeconds(30), "the worker dies after the job ended");
        var endedSlot = SlotOf(cluster.DataDir, ended);
        endedSlot.Should().NotBeNull();

        // Another node's worker on the same host (the same cgroup) runs a job that is OOM-killed.
        var otherDir = Directory.CreateDirectory(Path.Combine(cluster.DataDir, "other-node")).FullName;
        await cluster.StartWorkerAsync(settings with { Name = cluster.NodeName + "-b", DataDir = otherDir });
        var oom = await cluster.Client.SubmitAsync("tail /dev/zero\n", new { memory_per_node = "64M" });
        (await cluster.Client.WaitForFinishAsync(oom, TimeSpan.FromSeconds(60)))["reason"]!.GetValue<string>().Should().Be("OutOfMemory");
        SlotOf(otherDir, oom).Should().NotBe(endedSlot, "a slot belongs to its node, even while that node's worker is down");

        await cluster.StartWorkerAsync(settings);
        var job = await cluster.Client.WaitForFinishAsync(ended, TimeSpan.FromSeconds(30));
        ConductorClient.State(job).Should().Be("COMPLETED", "the other node's OOM kill is not this job's");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public void SlotNames_AreDistinctPerNode_AndAStoppingWorkerRemovesItsIdleSlots()
    {
        JobCgroups.SlotPrefix("node-1").Should().Be("node-1.slot-");
        JobCgroups.SlotPrefix("a.b").Should().NotBe(JobCgroups.SlotPrefix("a_b"), "a replaced character must not make two nodes share slots");
        JobCgroups.SlotPrefix("a.b").Count(c => c == '.').Should().Be(1);

        var dataDir = TestEnvironment.NewScratchDir(nameof(JobCgroupTests));
        var options = Options.Create(new WorkerOptions { Name = $"unit-{Guid.NewGuid():N}"[..13], DataDir = dataDir });
        var cgroups = new JobCgroups(options, NullLogger<JobCgroups>.Instance);
        cgroups.Enabled.Should().BeTrue("the test machine has writable cgroups, as the containment tests here need");
        cgroups.Layout.Missing().Should().BeEmpty("memory, cpuset, pids, freezer and cpuacct are all available here");
        var files = new JobFiles(dataDir, new Conductor.Core.Jobs.Job { Id = 1 });
        files.Prepare(null); // the control directory the record goes to

        var cgroup = cgroups.Acquire(files, 1, 64, [0])!;
        cgroup.Slot.Should().StartWith(options.Value.NodeName + ".slot-");
        cgroup.Dirs.Values.Should().OnlyContain(d => Directory.Exists(d));
        File.ReadAllText(Path.Combine(cgroup.Dir(CgroupController.Memory)!, "memory.limit_in_bytes")).Trim().Should().Be((64L << 20).ToString());
        File.ReadAllText(Path.Combine(cgroup.Dir(CgroupController.Cpuset)!, "cpuset.cpus")).Trim().Should().Be("0");
        File.ReadAllText(Path.Combine(cgroup.Dir(CgroupController.Pids)!, "pids.max")).Trim().Should().Be("4096");
        File.ReadAllText(files.CgroupRecordPath).Should().Be($"1 0 0 {cgroup.Slot}\n", "the record names the slot, in the root-owned control directory");
        cgroups.Release(files, cgroup, empty: true);
        cgroups.Dispose();
        cgroup.Dirs.Values.Should().OnlyContain(d => !Directory.Exists(d), "a slot nothing runs in is removed when its worker stops");
    }

    [Fact]
    public async Task WithEnforceMemoryOff_MemoryIsReservedButAJobMayUseMore()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Extra = new() { ["Conductor__Worker__EnforceMemory"] = "false" } });
        // About 100 MB in a shell variable, against a 64 MB reservation.
        var id = await cluster.Client.SubmitAsync("x=$(head -c 100000000 /dev/zero | tr '\\0' a)\necho ${#x}\ngrep -c 'memory:.*slot' /proc/self/cgroup || true\n", new { memory_per_node = "64M" });

        var job = await cluster.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        ConductorClient.State(job).Should().Be("COMPLETED", "nothing enforces the reservation");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("100000000\n0\n", "no memory cgroup is used");
        SlotOf(cluster.DataDir, id).Should().NotBeNull("the job still has its cgroup for its cores, processes and kill");
    }

    /// <summary>The slot a job's attempt held, as the worker recorded it in the job's control directory.</summary>
    internal static string? SlotOf(string dataDir, string id)
    {
        var record = Path.Combine(dataDir, "control", id, "cgroup");
        return File.Exists(record) ? File.ReadAllText(record).Trim().Split(' ')[3] : null;
    }
}
