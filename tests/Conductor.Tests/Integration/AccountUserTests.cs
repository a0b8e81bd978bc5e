using System.Diagnostics;
using System.Text.Json.Nodes;
using Conductor.Core.Accounts;
using Conductor.Tests.Infrastructure;
using Mono.Unix;
using Mono.Unix.Native;

namespace Conductor.Tests.Integration;

/// <summary>
/// A root worker in the default mode (a Unix user per account), with two accounts mapped by
/// configuration: one to the shared job user, one to root. A second node joins on demand.
/// </summary>
public sealed class AccountUserClusterFixture : ClusterFixture
{
    public const string SecondPartition = "second";

    protected override bool StartWorker => false;

    public string SecondNode { get; } = $"node-{Guid.NewGuid():N}"[..13];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        First = await StartWorkerAsync(Settings() with
        {
            Extra = new() { ["Conductor__Worker__AccountUsers__mapped"] = "conductor-job", ["Conductor__Worker__AccountUsers__evil"] = "root" },
        });
    }

    private Task<WorkerProcess>? _second;

    public WorkerProcess First { get; private set; } = null!;

    /// <summary>What every worker of this cluster said, for a failing test's message.</summary>
    public string Outputs => _second is { IsCompletedSuccessfully: true } second ? $"{First.Output}\n--- second node ---\n{second.Result.Output}" : First.Output;

    /// <summary>Another worker process on the same database, as another node (its own partition, so a test can aim at it).</summary>
    public Task<WorkerProcess> StartSecondNodeAsync() => _second ??= StartWorkerAsync(
        new WorkerSettings(Database.ConnectionString, SecondNode, TestEnvironment.NewScratchDir("second-node")) { Partition = SecondPartition });
}

/// <summary>
/// Which Unix user a job runs as on a root worker: each account its own, allocated once in
/// account_users and the same on every node; the shared user only when configured; never root.
/// </summary>
public sealed class AccountUserTests(AccountUserClusterFixture cluster) : IClassFixture<AccountUserClusterFixture>
{
    private ConductorClient Client => cluster.Client;
    private TestDatabase Db => cluster.Database;

    [Fact]
    public async Task TwoAccounts_RunAsTwoDistinctUsers_RecordedInAccountUsersAndInEachJobsRunUid()
    {
        Syscall.geteuid().Should().Be(0u, "the worker keeps accounts apart only when it runs as root (CI runs as root)");

        var alice = await RunAsync("alice");
        var bob = await RunAsync("bob");
        var aliceLonger = await RunAsync("alice", "sleep 0.5; id -u; id -un"); // its pid is recorded on its own, not with its end

        var (aliceUid, aliceName) = await AccountUserAsync("alice");
        var (bobUid, bobName) = await AccountUserAsync("bob");
        (aliceName, bobName).Should().Be(("cj-alice", "cj-bob"));
        aliceUid.Should().NotBe(bobUid);
        UidRange.Parse(UidRange.Default).Contains(aliceUid).Should().BeTrue("uids come from the configured range");
        alice.Stdout.Should().Be($"{aliceUid}\ncj-alice\n", alice.Describe());
        aliceLonger.Stdout.Should().Be($"{aliceUid}\ncj-alice\n", aliceLonger.Describe());
        bob.Stdout.Should().Be($"{bobUid}\ncj-bob\n", bob.Describe());
        (await RunUidAsync(alice)).Should().Be(aliceUid, "a short job's uid is written with its end");
        (await RunUidAsync(aliceLonger)).Should().Be(aliceUid, "a longer job's uid is written with its pid");
        (await RunUidAsync(bob)).Should().Be(bobUid);
        new UnixUserInfo(aliceName).UserId.Should().Be(aliceUid, "the local user has exactly the stored uid");
    }

    [Fact]
    public async Task ASecondNode_RunsTheSameAccountUnderTheSameUid_AndAFirstUseOnBothAtOnceStoresOneRow()
    {
        await cluster.StartSecondNodeAsync();

        var here = await RunAsync("alice");
        var there = await RunAsync("alice", partition: AccountUserClusterFixture.SecondPartition);
        var firstUse = await Task.WhenAll(
            RunAsync("carol"), RunAsync("carol", partition: AccountUserClusterFixture.SecondPartition),
            RunAsync("carol"), RunAsync("carol", partition: AccountUserClusterFixture.SecondPartition));

        (await Db.ScalarAsync<string>($"SELECT node FROM jobs WHERE id = {there.Id}")).Should().Be(cluster.SecondNode);
        var (aliceUid, _) = await AccountUserAsync("alice");
        there.Stdout.Should().Be(here.Stdout, there.Describe()).And.StartWith($"{aliceUid}\n");
        (await RunUidAsync(there)).Should().Be(aliceUid);
        (await Db.ScalarAsync<long>("SELECT count(*) FROM account_users WHERE account = 'carol'")).Should().Be(1);
        var (carolUid, _) = await AccountUserAsync("carol");
        foreach (var job in firstUse)
        {
            job.Stdout.Should().Be($"{carolUid}\ncj-carol\n", job.Describe());
            (await RunUidAsync(job)).Should().Be(carolUid);
        }
    }

    [Fact]
    public async Task AMappedAccount_RunsAsItsConfiguredUser_AndGetsNoRow()
    {
        var job = await RunAsync("mapped");

        var shared = new UnixUserInfo("conductor-job");
        job.Stdout.Should().Be($"{shared.UserId}\nconductor-job\n", job.Describe());
        (await RunUidAsync(job)).Should().Be((int)shared.UserId);
        (await Db.ScalarAsync<long>("SELECT count(*) FROM account_users WHERE account = 'mapped'")).Should().Be(0);
    }

    [Fact]
    public async Task AnAccountMappedToRoot_FailsSpawnError_AndNothingRuns()
    {
        var job = await RunAsync("evil", "echo ran");

        job.State.Should().Be("FAILED");
        job.Job["reason"]!.GetValue<string>().Should().Be("SpawnError");
        job.Job["error_msg"]!.GetValue<string>().Should().Contain("'root'").And.Contain("never run as root");
        job.Stdout.Should().BeEmpty();
    }

    [Fact]
    public async Task AStoredUser_WhoseUidOrNameIsSomeoneElsesHere_OrOutsideTheRange_FailsSpawnError_NamingBoth()
    {
        var squatter = TestUsers.EnsureSquatter();
        await Db.ExecuteAsync($"""
            INSERT INTO account_users (account, uid, user_name, created_at) VALUES
                ('squatted', {squatter.Uid}, 'cj-squatted', now()),
                ('renamed', {squatter.Uid - 1}, '{squatter.Name}', now()),
                ('outside', 999, 'cj-outside', now())
            """);

        var squatted = await RunAsync("squatted", "echo ran");
        var renamed = await RunAsync("renamed", "echo ran");
        var outside = await RunAsync("outside", "echo ran");

        foreach (var job in new[] { squatted, renamed, outside })
        {
            job.State.Should().Be("FAILED", job.Describe());
            job.Job["reason"]!.GetValue<string>().Should().Be("SpawnError");
            job.Stdout.Should().BeEmpty("the job never ran under someone else's uid");
        }
        squatted.Job["error_msg"]!.GetValue<string>().Should().Contain("cj-squatted").And.Contain($"uid {squatter.Uid} is '{squatter.Name}'");
        renamed.Job["error_msg"]!.GetValue<string>().Should().Contain($"'{squatter.Name}' is id {squatter.Uid}");
        outside.Job["error_msg"]!.GetValue<string>().Should().Contain("uid 999").And.Contain("outside this node's UidRange");
    }

    [Fact]
    public async Task SharedMode_RunsEveryAccountAsRunAs_AndAllocatesNoUsers()
    {
        var shared = await ClusterFixture.StartIdleAsync();
        try
        {
            await shared.StartWorkerAsync(shared.Settings() with { Extra = new() { ["Conductor__Worker__Users"] = "Shared" } });
            var alice = await RunAsync(shared, "alice");
            var bob = await RunAsync(shared, "bob", "sleep 0.5; id -u; id -un");

            var runAs = new UnixUserInfo("conductor-job");
            foreach (var job in new[] { alice, bob })
            {
                job.Stdout.Should().Be($"{runAs.UserId}\nconductor-job\n", job.Describe());
                (await shared.Database.ScalarAsync<int>($"SELECT run_uid FROM jobs WHERE id = {job.Id}")).Should().Be((int)runAs.UserId);
            }
            (await shared.Database.ScalarAsync<long>("SELECT count(*) FROM account_users")).Should().Be(0);
        }
        finally
        {
            await shared.DisposeAsync();
        }
    }

    private async Task<FinishedJob> RunAsync(string account, string script = "id -u; id -un", string? partition = null)
    {
        var job = await RunAsync(cluster, account, script, partition);
        return job with { WorkerOutput = cluster.Outputs };
    }

    private static async Task<FinishedJob> RunAsync(ClusterFixture on, string account, string script = "id -u; id -un", string? partition = null)
    {
        var id = await on.Client.SubmitAsync(script, new { account, partition = partition ?? "default" });
        return new FinishedJob(id, await on.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60)), on.Worker?.Output ?? "");
    }

    private Task<int?> RunUidAsync(FinishedJob job) => Db.ScalarAsync<int?>($"SELECT run_uid FROM jobs WHERE id = {job.Id}");

    private async Task<(int Uid, string Name)> AccountUserAsync(string account)
    {
        await using var db = Db.Context();
        var row = db.AccountUsers.Single(u => u.Account == account);
        return (row.Uid, row.UserName);
    }
}

public sealed record FinishedJob(string Id, JsonNode Job, string WorkerOutput)
{
    public string State => ConductorClient.State(Job);
    public string Stdout => Job["job_log"]?["stdout"]?.GetValue<string>() ?? "";
    public string Describe() => $"{Job.ToJsonString()}\n{WorkerOutput}";
}

/// <summary>Local users the tests need besides the ones the worker creates; made once, reused by later runs.</summary>
