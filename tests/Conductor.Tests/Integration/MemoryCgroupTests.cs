using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// Memory cgroups are slots reused from job to job (creating and removing one per job costs the
/// kernel more than a short job): reuse must neither leak one job's OOM kill into the next job's
/// outcome nor hand out a slot something still runs in.
/// </summary>
public sealed class MemoryCgroupTests
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

        var slots = new[] { oom }.Concat(later).Select(id => SlotOf(cluster, id)).ToList();
        slots.Distinct().Should().ContainSingle("one core runs one job at a time, so every job gets the same slot back");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task SlotWithAProcessStillInside_IsNotHandedToTheNextJob()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        // A child that leaves the job's session survives the end of the job, still in its cgroup.
        var escaped = Path.Combine(cluster.DataDir, "escaped.pid");
        var first = await cluster.Client.SubmitAsync($"setsid sleep 60 </dev/null >/dev/null 2>&1 &\necho $! > {escaped}\n", new { memory_per_node = "64M" });
        var job = await cluster.Client.WaitForFinishAsync(first);
        ConductorClient.State(job).Should().Be("COMPLETED");
        var firstSlot = SlotOf(cluster, first);
        firstSlot.Should().NotBeNull("every job with memory limits enforced records its slot");

        try
        {
            var second = await cluster.Client.SubmitAsync("true\n", new { memory_per_node = "64M" });
            ConductorClient.State(await cluster.Client.WaitForFinishAsync(second)).Should().Be("COMPLETED");
            SlotOf(cluster, second).Should().NotBe(firstSlot, "a process of the first job still runs in its slot");
        }
        finally
        {
            if (int.TryParse(File.ReadAllText(escaped).Trim(), out var pid)) Mono.Unix.Native.Syscall.kill(pid, Mono.Unix.Native.Signum.SIGKILL);
        }
    }

    [Fact]
    public async Task WithEnforceMemoryOff_MemoryIsReservedButAJobMayUseMore()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Extra = new() { ["Conductor__Worker__EnforceMemory"] = "false" } });
        // About 100 MB in a shell variable, against a 64 MB reservation.
        var id = await cluster.Client.SubmitAsync("x=$(head -c 100000000 /dev/zero | tr '\\0' a)\necho ${#x}\n", new { memory_per_node = "64M" });

        var job = await cluster.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        ConductorClient.State(job).Should().Be("COMPLETED", "nothing enforces the reservation");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be("100000000\n");
        SlotOf(cluster, id).Should().BeNull("no memory cgroup is used");
    }

    /// <summary>The slot a job's attempt held, as the worker recorded it in the job's directory.</summary>
    private static string? SlotOf(ClusterFixture cluster, string id)
    {
        var record = Path.Combine(cluster.DataDir, "jobs", id, "cgroup");
        return File.Exists(record) ? File.ReadAllText(record).Trim().Split(' ', 3)[2] : null;
    }
}
