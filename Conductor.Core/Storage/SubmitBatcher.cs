using System.Threading.Channels;
using Conductor.Core.Jobs;
using Npgsql;

namespace Conductor.Core.Storage;

/// <summary>
/// Group commit for single submits. Concurrent <c>POST /jobs/submit</c> calls each carry one
/// job; storing each in its own statement and commit costs the database a parse, a plan and a
/// WAL flush per job. Here they wait in a queue while a flush is under way, and the next flush
/// stores everything queued in one multi-row INSERT (<see cref="JobStore.InsertAsync(IReadOnlyList{JobSpec}, CancellationToken)"/>).
/// Nothing is added when idle: a lone submit is flushed at once, as a batch of one.
/// </summary>
/// <remarks>
/// Invariants:
/// - a caller's task completes only after the statement holding its row has committed (it is
///   an autocommit statement, so "returned" means "durable"), with its own id;
/// - a batch is one statement, all or nothing. When the database refuses it, the batch is
///   replayed one job at a time, so a bad row fails only its own caller and loses no other;
///   a connection fault (no answer about the data) fails every caller of the batch, as it
///   would have failed each of them alone;
/// - <c>committed</c> (the API's wake-up) is called once per partition of every stored batch, and
///   for every other submit once per partition, after the commit and before the callers are
///   answered: one message after a batch's commit tells the workers about all its jobs;
/// - only plain single jobs are batched. A job with an Idempotency-Key, an array (its tasks
///   are linked to the first task's id) and multi-job submits go straight to
///   <see cref="JobStore.SubmitAsync"/>, unchanged.
/// </remarks>
public sealed class SubmitBatcher : IAsyncDisposable
{
    /// <summary>Bounds one statement's size (and the latency of the callers in it).</summary>
    public const int MaxBatch = 500;

    private readonly JobStore _jobs;
    private readonly Action<string>? _committed;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _flushers;

    /// <param name="committed">Called with the partitions of stored jobs (see the invariants).</param>
    /// <param name="flushers">Batches in flight at once: one can be parsed while another waits for its WAL flush.</param>
    public SubmitBatcher(JobStore jobs, Action<string>? committed = null, int flushers = 2)
    {
        _jobs = jobs;
        _committed = committed;
        _flushers = Enumerable.Range(0, flushers).Select(_ => Task.Run(FlushLoopAsync)).ToArray();
    }

    private sealed record Pending(JobSpec Spec, CancellationToken Ct)
    {
        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Stores the jobs as <see cref="JobStore.SubmitAsync"/> does; single plain jobs are group-committed.</summary>
    public async Task<IReadOnlyList<long>> SubmitAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        if (specs is [{ IdempotencyKey: null, ArrayTaskId: null } spec])
        {
            var pending = new Pending(spec, ct);
            // Closed only at shutdown: the caller is still answered, just without company.
            if (_queue.Writer.TryWrite(pending)) return [await pending.Done.Task];
        }
        var ids = await _jobs.SubmitAsync(specs, ct);
        Committed(specs);
        return ids;
    }

    private void Committed(IEnumerable<JobSpec> specs)
    {
        if (_committed is null) return;
        try
        {
            foreach (var partition in specs.Select(s => s.Partition).Distinct(StringComparer.Ordinal)) _committed(partition);
        }
        catch (Exception)
        {
            // The jobs are stored: a lost wake-up only leaves them to the workers' next poll.
        }
    }

    private async Task FlushLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                // A caller that gave up before its flush began is not stored (as a cancelled single insert).
                if (next.Ct.IsCancellationRequested) next.Done.TrySetCanceled(next.Ct);
                else batch.Add(next);
            }
            if (batch.Count == 0) continue;
            await FlushAsync(batch);
            batch.Clear();
        }
    }

    private async Task FlushAsync(List<Pending> batch)
    {
        try
        {
            // Not the callers' tokens: one caller going away must not abort the others' statement.
            var specs = batch.ConvertAll(p => p.Spec);
            var ids = await _jobs.InsertAsync(specs, CancellationToken.None);
            Committed(specs);
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(ids[i]);
        }
        catch (PostgresException) when (batch.Count > 1)
        {
            // The server refused some row and rolled back the statement: find whose, one by one.
            foreach (var pending in batch) await FlushAsync([pending]);
        }
        catch (Exception e)
        {
            foreach (var pending in batch) pending.Done.TrySetException(e);
        }
    }

    /// <summary>Stops taking new jobs into batches and flushes what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_flushers);
    }
}
