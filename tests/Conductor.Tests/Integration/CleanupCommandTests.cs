using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// <c>Conductor.Worker.dll cleanup</c>: removes exactly the finished jobs past the retention,
/// with their events, allocations and job directories; leaves running, pending and recent jobs;
/// and a second run finds nothing to do.
/// </summary>
public sealed class CleanupCommandTests(ListeningApiFixture ops) : IClassFixture<ListeningApiFixture>, IAsyncLifetime
{
    private TestDatabase Db => ops.Database;

    public async Task InitializeAsync()
    {
        await ops.TruncateAsync();
        await Seed.NodeAsync(Db, "n1");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record Workload(long[] Old, long[] Kept);

    /// <summary>Five old finished jobs (batch size 2 makes three batches) and four that must survive, each with a job directory.</summary>
    private async Task<Workload> SeedWorkloadAsync()
    {
        var old = new List<long>();
        foreach (var (state, reason) in new[] { ("COMPLETED", "None"), ("FAILED", "NonZeroExitCode"), ("CANCELLED", "CancelledByUser"),
                     ("COMPLETED", "None"), ("FAILED", "Orphaned") })
        {
            var id = await Seed.JobAsync(Db, state, "n1", submittedAge: "41 days", endedAge: "40 days", reason: reason);
            await Seed.AllocationAsync(Db, id, "n1", [0], released: true);
            old.Add(id);
        }
        var recent = await Seed.JobAsync(Db, "COMPLETED", "n1", submittedAge: "2 days", endedAge: "1 day");
        var running = await Seed.JobAsync(Db, "RUNNING", "n1", submittedAge: "41 days");
        await Seed.AllocationAsync(Db, running, "n1", [1]);
        var pending = await Seed.JobAsync(Db, "PENDING", submittedAge: "41 days");
        var youngPending = await Seed.JobAsync(Db, "PENDING");
        long[] kept = [recent, running, pending, youngPending];
        foreach (var id in old.Concat(kept)) WriteJobDirectory(id);
        return new Workload([.. old], kept);
    }

    [Fact]
    public async Task Cleanup_DeletesExactlyTheOldFinishedJobs_AndTheSecondRunDoesNothing()
    {
        var w = await SeedWorkloadAsync();

        var first = await ops.RunAsync("cleanup", "--older-than", "30d", "--batch-size", "2", "--json");
        var second = await ops.RunAsync("cleanup", "--older-than", "30d", "--batch-size", "2", "--json");

        first.ExitCode.Should().Be(0, first.ToString());
        first.Json()["deleted_jobs"]!.GetValue<int>().Should().Be(5, "five finished jobs ended 40 days ago");
        first.Json()["deleted_directories"]!.GetValue<int>().Should().Be(5);
        first.Json()["deleted_events"]!.GetValue<long>().Should().Be(5, "each seeded job has one event");
        (await RemainingIdsAsync()).Should().BeEquivalentTo(w.Kept, "running, pending and recent jobs stay");
        (await Db.ScalarAsync<long>("SELECT count(*) FROM job_events")).Should().Be(w.Kept.Length, "the deleted jobs' events went with them");
        (await Db.ScalarAsync<long>("SELECT count(*) FROM allocations")).Should().Be(1, "only the running job's allocation remains");
        w.Old.Should().OnlyContain(id => !Directory.Exists(JobDirectory(id)), "a deleted job's directory and output go too");
        w.Kept.Should().OnlyContain(id => Directory.Exists(JobDirectory(id)), "a kept job keeps its files");
        (await Db.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {w.Kept[2]}")).Should().Be("PENDING", "expiry is off by default");
        second.ExitCode.Should().Be(0);
        second.Json()["did_nothing"]!.GetValue<bool>().Should().BeTrue($"cleanup is idempotent\n{second}");
    }

    [Fact]
    public async Task DryRun_ReportsWhatItWouldDelete_AndChangesNothing()
    {
        var w = await SeedWorkloadAsync();
        var leaked = await Seed.JobAsync(Db, "COMPLETED", "n1", endedAge: "1 hour");
        await Seed.AllocationAsync(Db, leaked, "n1", [3]);
        var jobsBefore = await Db.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var run = await ops.RunAsync("cleanup", "--older-than", "30d", "--expire-pending-after", "2d", "--dry-run");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Stdout.Should().Contain("DRY RUN: would release 1 leaked allocation(s)")
            .And.Contain("DRY RUN: would expire 1 PENDING job(s) older than 2d")
            .And.Contain("DRY RUN: would delete 5 finished job(s) older than 30d with 5 event(s), 5 allocation(s) and 5 job directorie(s)");
        (await Db.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(jobsBefore, "a dry run deletes nothing");
        (await Db.ScalarAsync<long>("SELECT count(*) FROM allocations WHERE released_at IS NULL")).Should().Be(2, "nor releases anything");
        (await Db.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {w.Kept[2]}")).Should().Be("PENDING", "nor expires anything");
        w.Old.Should().OnlyContain(id => Directory.Exists(JobDirectory(id)), "nor touches files");
    }

    [Fact]
    public async Task ExpirePendingAfter_FailsOnlyOldPendingJobs_AsExpired_ThroughTheNormalTransition()
    {
        var w = await SeedWorkloadAsync();

        var run = await ops.RunAsync("cleanup", "--expire-pending-after", "2d", "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Json()["expired_pending"]!.GetValue<int>().Should().Be(1);
        (await Db.ScalarAsync<string>($"SELECT state || ' ' || reason FROM jobs WHERE id = {w.Kept[2]}")).Should().Be("FAILED Expired");
        (await Db.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {w.Kept[2]} AND reason = 'Expired'"))
            .Should().Be(1, "expiry is a transition with its event row");
        (await Db.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {w.Kept[3]}")).Should().Be("PENDING", "a young PENDING job waits on");
        run.Json()["deleted_jobs"]!.GetValue<int>().Should().Be(w.Old.Length,
            "the default retention of 30 days takes the five old finished jobs but not the one that just expired");
    }

    private string JobDirectory(long id) => Path.Combine(ops.DataDir, "jobs", id.ToString());
    private string ControlDirectory(long id) => Path.Combine(ops.DataDir, "control", id.ToString());

    private void WriteJobDirectory(long id)
    {
        Directory.CreateDirectory(JobDirectory(id));
        Directory.CreateDirectory(ControlDirectory(id));
        File.WriteAllText(Path.Combine(JobDirectory(id), "stdout.log"), $"output of {id}\n");
        File.WriteAllText(Path.Combine(ControlDirectory(id), "script.sh"), "true\n");
    }

    private async Task<List<long>> RemainingIdsAsync()
    {
        await using var ctx = Db.Context();
        return ctx.Jobs.Select(j => j.Id).ToList();
    }
}
