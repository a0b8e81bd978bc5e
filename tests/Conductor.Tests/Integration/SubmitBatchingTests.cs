using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Tests.Integration;

/// <summary>
/// Group commit of single submits (<see cref="SubmitBatcher"/>): concurrent submits share one
/// INSERT, yet each caller gets its own job, its own error, and an answer only once its row is
/// committed. Batches are forced by holding a lock on <c>jobs</c>, so the queue fills while the
/// first flush waits.
/// </summary>
public sealed class SubmitBatchingTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    private JobStore Jobs => cluster.Api.Services.GetRequiredService<JobStore>();

    private static JobSpec Spec(string name) => new() { Name = name, Script = "true" };

    [Fact]
    public async Task ConcurrentSubmits_EachGetTheirOwnJob_AndEveryRowExists()
    {
        // Warm first: a cold API's caches (tokens, nodes, quota) would all open connections at once.
        await cluster.Client.SubmitAsync("true");
        var names = Enumerable.Range(0, 24).Select(i => $"concurrent-{Guid.NewGuid():N}-{i}").ToList();

        var answers = await Task.WhenAll(names.Select(name => Task.Run(async () =>
        {
            var response = await cluster.Client.Http.PostAsJsonAsync("/jobs/submit", new { job = new { name }, script = "true" });
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.Created, body);
            return (Name: name, Id: long.Parse(JsonNode.Parse(body)!["job_id"]!.GetValue<string>()));
        })));

        answers.Select(a => a.Id).Should().OnlyHaveUniqueItems("every submit is its own job, batched or not");
        foreach (var (name, id) in answers)
            (await cluster.Database.ScalarAsync<string>($"SELECT name FROM jobs WHERE id = {id} AND state = 'PENDING'"))
                .Should().Be(name, "the id a caller gets names the row it submitted");
        var ids = string.Join(',', answers.Select(a => a.Id));
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id IN ({ids}) AND reason = 'Submitted'"))
            .Should().Be(24, "each job gets exactly one submit event");
    }

    [Fact]
    public async Task QueuedSubmits_AreStoredInOneStatement_AndAnsweredOnlyAfterItCommits()
    {
        await using var batcher = new SubmitBatcher(Jobs, flushers: 1);
        var names = Enumerable.Range(0, 20).Select(i => $"queued-{Guid.NewGuid():N}-{i}").ToList();
        List<Task<IReadOnlyList<long>>> queued;
        await using (var block = await BlockInsertsAsync())
        {
            var first = batcher.SubmitAsync([Spec("blocker")], CancellationToken.None);
            await WaitUntilAnInsertWaitsAsync();
            queued = names.Select(name => batcher.SubmitAsync([Spec(name)], CancellationToken.None)).ToList();

            first.IsCompleted.Should().BeFalse("its insert cannot commit while the table is locked");
            queued.Should().OnlyContain(t => !t.IsCompleted, "no submit is answered before its row is committed");
            await block.CommitAsync();
            await first;
        }

        var ids = (await Task.WhenAll(queued)).Select(r => r.Single()).ToList();
        ids.Should().OnlyHaveUniqueItems();
        for (var i = 0; i < names.Count; i++)
            (await cluster.Database.ScalarAsync<string>($"SELECT name FROM jobs WHERE id = {ids[i]}")).Should().Be(names[i]);
        (await cluster.Database.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM jobs WHERE id IN ({string.Join(',', ids)})"))
            .Should().Be(1, "the submits queued behind one flush are stored by the next one, in one statement");
    }

    [Fact]
    public async Task ARefusedRowInABatch_FailsOnlyItsOwnSubmit_AndLosesNoOther()
    {
        await using var batcher = new SubmitBatcher(Jobs, flushers: 1);
        var names = Enumerable.Range(0, 10).Select(i => $"neighbour-{Guid.NewGuid():N}-{i}").ToList();
        // Longer than the column (varchar(256)): the API would refuse it, the database does here.
        names[4] = new string('x', 300);
        List<Task<IReadOnlyList<long>>> queued;
        await using (var block = await BlockInsertsAsync())
        {
            var first = batcher.SubmitAsync([Spec("blocker")], CancellationToken.None);
            await WaitUntilAnInsertWaitsAsync();
            queued = names.Select(name => batcher.SubmitAsync([Spec(name)], CancellationToken.None)).ToList();
            await block.CommitAsync();
            await first;
        }

        var refused = async () => await queued[4];
        (await refused.Should().ThrowAsync<PostgresException>("its row does not fit the name column"))
            .Which.SqlState.Should().Be(PostgresErrorCodes.StringDataRightTruncation);
        for (var i = 0; i < names.Count; i++)
        {
            if (i == 4) continue;
            var id = (await queued[i]).Single();
            (await cluster.Database.ScalarAsync<string>($"SELECT name FROM jobs WHERE id = {id} AND state = 'PENDING'"))
                .Should().Be(names[i], "a neighbour's bad row must neither fail nor lose this job");
            (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {id}")).Should().Be(1);
        }
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE name = '{names[4]}'")).Should().Be(0);
    }

    /// <summary>An open transaction holding a lock that makes every INSERT into jobs wait until it commits.</summary>
    private sealed class InsertBlock(NpgsqlConnection conn, NpgsqlTransaction tx) : IAsyncDisposable
    {
        public Task CommitAsync() => tx.CommitAsync();

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await conn.DisposeAsync();
        }
    }

    private async Task<InsertBlock> BlockInsertsAsync()
    {
        var conn = new NpgsqlConnection(cluster.Database.ConnectionString);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("LOCK TABLE jobs IN EXCLUSIVE MODE", conn, tx);
        await cmd.ExecuteNonQueryAsync();
        return new InsertBlock(conn, tx);
    }

    private Task WaitUntilAnInsertWaitsAsync() => Eventually.Until(
        () => cluster.Database.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'jobs'::regclass"),
        n => n > 0, TimeSpan.FromSeconds(30), "the first flush waits for the lock on jobs");
}
