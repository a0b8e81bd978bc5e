using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Conductor.Tests.Integration;

/// <summary>
/// The claim and the finish-and-claim transaction, against the store directly: the rows a claim
/// returns are the rows as EF reads them, and one transaction ends a job, records its pid,
/// releases its cores and claims the next job onto them.
/// </summary>
public sealed class ClaimStoreTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private ServiceProvider _services = null!;
    private JobStore Store => _services.GetRequiredService<JobStore>();
    private readonly NodeClaim _node = new("claim-node", Guid.NewGuid(), "default", [0], 4096);

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _services = new ServiceCollection().AddSingleton(TimeProvider.System).AddConductorStorage(_db.ConnectionString).BuildServiceProvider();
        await _services.GetRequiredService<NodeStore>().RegisterAsync(new Node
        {
            Name = _node.Name, Partition = _node.Partition, Cpus = 1, CoreIds = _node.CoreIds, MemoryMb = _node.MemoryMb,
            State = NodeState.Up, InstanceId = _node.InstanceId, BootId = "boot",
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<long> AddJobAsync(Action<Job>? configure = null)
    {
        await using var ctx = _db.Context();
        var job = new Job { Script = "true", Account = "alice", SubmitTime = DateTime.UtcNow, EligibleTime = DateTime.UtcNow.AddSeconds(-1) };
        configure?.Invoke(job);
        ctx.Jobs.Add(job);
        await ctx.SaveChangesAsync();
        return job.Id;
    }

    /// <summary>One job's finish and the claim for its core, as the worker writes it.</summary>
    private async Task<(JobState? Moved, IReadOnlyList<ClaimedJob> Claimed)> FinishAndClaimAsync(Transition finish, SpawnRecord? spawn, NodeClaim node, int batch)
    {
        var (moved, claimed) = await Store.FinishAndClaimAsync([(finish, spawn)], node, batch, CancellationToken.None);
        return (moved.Single(), claimed);
    }

    private async Task<Job> LoadAsync(long id)
    {
        await using var ctx = _db.Context();
        return await ctx.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Claim_CountsWhatRunningJobsHold_TheirMemoryAndExclusivity_NotOnlyTheirCores(bool exclusive)
    {
        var wide = new NodeClaim("claim-node-2", Guid.NewGuid(), "wide", [0, 1], 4096);
        await _services.GetRequiredService<NodeStore>().RegisterAsync(new Node
        {
            Name = wide.Name, Partition = wide.Partition, Cpus = 2, CoreIds = wide.CoreIds, MemoryMb = wide.MemoryMb,
            State = NodeState.Up, InstanceId = wide.InstanceId, BootId = "boot",
        }, CancellationToken.None);
        // The first holds 3 GB (or the whole node): the second, 3 GB more, must not start beside it on the free core.
        var first = await AddJobAsync(j => { j.Partition = "wide"; j.MemoryMb = 3000; j.Exclusive = exclusive; });
        await AddJobAsync(j => { j.Partition = "wide"; j.MemoryMb = exclusive ? 100 : 3000; });
        (await Store.ClaimAsync(wide, 1, CancellationToken.None)).Select(c => c.Job.Id).Should().Equal(first);

        (await Store.ClaimAsync(wide, 4, CancellationToken.None)).Should().BeEmpty(
            exclusive ? "the running job holds the node exclusively" : "the running job holds 3 GB of the node's 4 GB");
    }

    [Fact]
    public async Task Claim_ReturnsEveryFieldOfTheClaimedJob_AsEfReadsIt()
    {
        var id = await AddJobAsync(j =>
        {
            j.Name = "full";
            j.Environment = new() { ["A"] = "1", ["B"] = "two words" };
            j.WorkDir = "/tmp";
            j.StandardOutput = "out-%j.txt";
            j.TimeLimitSeconds = 90;
            j.MemoryMb = 512;
            j.Priority = 7;
            j.MaxRetries = 2;
            j.RetryDelaySeconds = 5;
            j.RetryBackoff = RetryBackoffs.Exponential;
            j.BeginTime = DateTime.UtcNow.AddMinutes(-1);
            j.IdempotencyKey = "key-1";
        });

        var claimed = await Store.ClaimAsync(_node, 4, CancellationToken.None);

        claimed.Should().ContainSingle().Which.CpuIds.Should().Equal(0);
        var job = claimed[0].Job;
        job.State.Should().Be(JobState.Running);
        job.Attempt.Should().Be(1);
        job.Should().BeEquivalentTo(await LoadAsync(id), o => o.Using<DateTime>(c => c.Subject.Should().BeCloseTo(c.Expectation, TimeSpan.FromMilliseconds(1))).WhenTypeIs<DateTime>());
    }

    [Fact]
    public async Task FinishAndClaim_EndsTheJob_RecordsItsPid_AndClaimsTheNextOntoTheFreedCore()
    {
        var first = await AddJobAsync();
        var second = await AddJobAsync();
        var claimed = await Store.ClaimAsync(_node, 4, CancellationToken.None);
        claimed.Select(c => c.Job.Id).Should().Equal(first); // one core: the second waits

        var spawn = new SpawnRecord(4242, 777, "boot", "/tmp", "/tmp/out", "/tmp/err", 1000);
        var (moved, next) = await FinishAndClaimAsync(
            new Transition(first, JobState.Running, JobState.Completed, JobReason.None) { ExitCode = 0, Attempt = 1, Node = _node.Name },
            spawn, _node, 4);

        moved.Should().Be(JobState.Completed);
        next.Select(c => c.Job.Id).Should().Equal(second);
        next[0].CpuIds.Should().Equal(0);
        var done = await LoadAsync(first);
        done.State.Should().Be(JobState.Completed);
        (done.Pid, done.ProcessStartTicks, done.BootId, done.StdoutPath).Should().Be((4242, 777L, "boot", "/tmp/out"));
        done.EndTime.Should().NotBeNull();
        (await LoadAsync(second)).State.Should().Be(JobState.Running);
        await Invariants.AssertHoldAsync(_db);
    }

    [Fact]
    public async Task FinishAndClaim_OfSeveralJobs_WritesEachOutcome_AndClaimsOntoAllTheirCores_InOneTransaction()
    {
        var wide = new NodeClaim("wide-node", Guid.NewGuid(), "default", [0, 1], 4096);
        await _services.GetRequiredService<NodeStore>().RegisterAsync(new Node
        {
            Name = wide.Name, Partition = wide.Partition, Cpus = 2, CoreIds = wide.CoreIds, MemoryMb = wide.MemoryMb,
            State = NodeState.Up, InstanceId = wide.InstanceId, BootId = "boot",
        }, CancellationToken.None);
        var ok = await AddJobAsync();
        var failing = await AddJobAsync(j => { j.MaxRetries = 1; j.RetryDelaySeconds = 3600; });
        (await Store.ClaimAsync(wide, 8, CancellationToken.None)).Select(c => c.Job.Id).Should().Equal(ok, failing);
        // A finish of a job that is not RUNNING any more (someone else moved it) moves nothing.
        var taken = await AddJobAsync();
        await Store.TransitionAsync(new Transition(taken, JobState.Pending, JobState.Cancelled, JobReason.CancelledByUser), CancellationToken.None);
        var next = new[] { await AddJobAsync(), await AddJobAsync() };

        var (moved, claimed) = await Store.FinishAndClaimAsync(
        [
            (new Transition(ok, JobState.Running, JobState.Completed, JobReason.None) { ExitCode = 0, Attempt = 1, Node = wide.Name },
                new SpawnRecord(4242, 777, "boot", "/tmp", "/tmp/out", "/tmp/err", 1000)),
            (new Transition(failing, JobState.Running, JobState.Failed, JobReason.NonZeroExitCode) { ExitCode = 1, Attempt = 1, Node = wide.Name }, null),
            (new Transition(taken, JobState.Running, JobState.Completed, JobReason.None) { ExitCode = 0, Attempt = 1, Node = wide.Name }, null),
        ], wide, 8, CancellationToken.None);

        moved.Should().Equal(JobState.Completed, JobState.Pending, null);
        claimed.Select(c => c.Job.Id).Should().BeEquivalentTo(next, "both cores are free again");
        claimed.SelectMany(c => c.CpuIds).Should().BeEquivalentTo([0, 1]);
        (await LoadAsync(ok)).Pid.Should().Be(4242);
        (await _db.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM jobs WHERE id IN ({ok}, {failing}, {next[0]}, {next[1]})"))
            .Should().Be(1, "the outcomes and the claim are one transaction");
        await Invariants.AssertHoldAsync(_db);
    }

    [Fact]
    public async Task FinishAndClaim_FailureWithRetriesLeft_GoesBackToPending()
    {
        var id = await AddJobAsync(j => { j.MaxRetries = 1; j.RetryDelaySeconds = 3600; });
        await Store.ClaimAsync(_node, 4, CancellationToken.None);

        var (moved, next) = await FinishAndClaimAsync(
            new Transition(id, JobState.Running, JobState.Failed, JobReason.NonZeroExitCode) { ExitCode = 1, Attempt = 1, Node = _node.Name },
            null, _node, 4);

        moved.Should().Be(JobState.Pending, "the first of the finish's two writes moves it, and the second finds it no longer RUNNING");
        next.Should().BeEmpty("its retry delay has not passed");
        var job = await LoadAsync(id);
        job.State.Should().Be(JobState.Pending);
        job.EligibleTime.Should().BeAfter(DateTime.UtcNow.AddMinutes(30));
        await Invariants.AssertHoldAsync(_db);
    }

    [Fact]
    public async Task FinishAndClaim_OnANodeNoLongerOurs_WritesTheOutcome_ButClaimsNothing()
    {
        var first = await AddJobAsync();
        await AddJobAsync();
        await Store.ClaimAsync(_node, 4, CancellationToken.None);

        var stale = _node with { InstanceId = Guid.NewGuid() }; // another worker process took the node over
        var (moved, next) = await FinishAndClaimAsync(
            new Transition(first, JobState.Running, JobState.Completed, JobReason.None) { ExitCode = 0, Attempt = 1, Node = _node.Name },
            null, stale, 4);

        moved.Should().Be(JobState.Completed);
        next.Should().BeEmpty();
        (await _db.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE state = 'PENDING'")).Should().Be(1);
        await Invariants.AssertHoldAsync(_db);
    }

    [Fact]
    public async Task FinishAndClaim_OfAJobTakenFromUs_MovesNothing_AndRecordsNoPid()
    {
        var id = await AddJobAsync();
        await Store.ClaimAsync(_node, 4, CancellationToken.None);
        await Store.TransitionAsync(new Transition(id, JobState.Running, JobState.Failed, JobReason.NodeFail) { Attempt = 1 }, CancellationToken.None);

        var (moved, _) = await FinishAndClaimAsync(
            new Transition(id, JobState.Running, JobState.Completed, JobReason.None) { ExitCode = 0, Attempt = 1, Node = _node.Name },
            new SpawnRecord(99, 1, "boot", "/tmp", "/tmp/o", "/tmp/e", 1000), _node, 4);

        moved.Should().BeNull();
        var job = await LoadAsync(id);
        (job.State, job.Reason, job.Pid).Should().Be((JobState.Failed, JobReason.NodeFail, (int?)null));
    }

    [Fact]
    public async Task Claim_WhoseCommitFails_ReturnsNothing_AndLeavesTheJobPending()
    {
        var id = await AddJobAsync();
        // A deferred constraint trigger fails the claim's COMMIT itself, after the move succeeded.
        await _db.ExecuteAsync("""
            CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused'; END $$;
            CREATE CONSTRAINT TRIGGER refuse_claims AFTER INSERT ON allocations DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION fail_at_commit();
            """);

        var claim = () => Store.ClaimAsync(_node, 4, CancellationToken.None);

        (await claim.Should().ThrowAsync<Npgsql.PostgresException>()).Which.MessageText.Should().Be("commit refused");
        (await LoadAsync(id)).State.Should().Be(JobState.Pending, "the claim did not commit");
        await _db.ExecuteAsync("DROP TRIGGER refuse_claims ON allocations");
        (await Store.ClaimAsync(_node, 4, CancellationToken.None)).Should().ContainSingle("the pooled connection is usable again")
            .Which.Job.Id.Should().Be(id);
    }
}
