using Conductor.Core.Jobs;
using Conductor.Core.Operations;
using Prometheus;

namespace Conductor.Api.Stats;

/// <summary>
/// The API's Prometheus registry. Only <see cref="Submitted"/> is counted in process (it is an
/// event of this process); every other series is refreshed from PostgreSQL just before each
/// scrape, so a restart or a second API instance never disagrees with the rows. The histograms
/// are fed from the job event log after a watermark (see <see cref="TransitionFeed"/>), counting
/// the starts and finishes since this API process began.
/// A registry of its own, not the static default one, so several hosts in one test process
/// do not share (and double-refresh) series.
/// </summary>
internal sealed class ConductorMetrics
{
    private const int FeedBatch = 10_000;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly ClusterStatistics _stats;
    private readonly TransitionFeed _feed;
    private readonly ILogger<ConductorMetrics> _log;
    private long? _watermark;

    public ConductorMetrics(ClusterStatistics stats, TransitionFeed feed, ILogger<ConductorMetrics> log)
    {
        (_stats, _feed, _log) = (stats, feed, log);
        var f = Metrics.WithCustomRegistry(Registry);
        Submitted = f.CreateCounter("conductor_jobs_submitted_total", "Jobs accepted by POST /jobs/submit on this API instance.");
        Jobs = f.CreateGauge("conductor_jobs", "Jobs in the database by state.", "state");
        Finished = f.CreateGauge("conductor_jobs_finished", "Finished jobs still in the database, by state and reason.", "state", "reason");
        QueueDepth = f.CreateGauge("conductor_queue_depth", "PENDING jobs.");
        CoresUsed = f.CreateGauge("conductor_node_cores_used", "Cores held by active allocations, per node.", "node");
        CoresTotal = f.CreateGauge("conductor_node_cores", "Cores a node offers.", "node");
        DatabaseUp = f.CreateGauge("conductor_database_up", "1 when the last scrape could read PostgreSQL.");
        RunTime = f.CreateHistogram("conductor_job_run_seconds", "Run time of jobs that finished (start to end).",
            new HistogramConfiguration { LabelNames = ["state"], Buckets = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 14400, 43200, 86400] });
        DispatchLatency = f.CreateHistogram("conductor_job_dispatch_latency_seconds", "Time from a job becoming eligible to its claim by a worker.",
            new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600] });
        Registry.AddBeforeCollectCallback(RefreshAsync);
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Counter Submitted { get; }
    private Gauge Jobs { get; }
    private Gauge Finished { get; }
    private Gauge QueueDepth { get; }
    private Gauge CoresUsed { get; }
    private Gauge CoresTotal { get; }
    private Gauge DatabaseUp { get; }
    private Histogram RunTime { get; }
    private Histogram DispatchLatency { get; }

    private async Task RefreshAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            await RefreshGaugesAsync(ct);
            await FeedHistogramsAsync(ct);
            DatabaseUp.Set(1);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            // A scrape still answers (with the last values) so the alert is on conductor_database_up, not on a 500.
            _log.LogWarning("Metrics refresh could not read the database: {Error}", e.Message);
            DatabaseUp.Set(0);
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task RefreshGaugesAsync(CancellationToken ct)
    {
        var snapshot = await _stats.SnapshotAsync(StatsWindow.Default, ct);
        foreach (var (state, count) in snapshot.JobsByState) Jobs.WithLabels(state.ToWire()).Set(count);
        QueueDepth.Set(snapshot.QueueDepth);
        Replace(CoresUsed, snapshot.Nodes.Select(n => (new[] { n.Name }, (double)n.CoresUsed)));
        Replace(CoresTotal, snapshot.Nodes.Select(n => (new[] { n.Name }, (double)n.CoresTotal)));
        var finished = await _stats.FinishedByReasonAsync(ct);
        Replace(Finished, finished.Select(r => (new[] { r.State, r.Reason }, (double)r.Count)));
    }

    /// <summary>Sets the series that exist and drops the ones that no longer do (a removed node, a cleaned-up reason).</summary>
    private static void Replace(Gauge gauge, IEnumerable<(string[] Labels, double Value)> series)
    {
        var keep = new HashSet<string>();
        foreach (var (labels, value) in series)
        {
            gauge.WithLabels(labels).Set(value);
            keep.Add(string.Join('\0', labels));
        }
        foreach (var labels in gauge.GetAllLabelValues().ToList())
            if (!keep.Contains(string.Join('\0', labels))) gauge.RemoveLabelled(labels);
    }

    private async Task FeedHistogramsAsync(CancellationToken ct)
    {
        _watermark ??= await _feed.HeadAsync(ct);
        foreach (var sample in await _feed.AfterAsync(_watermark.Value, FeedBatch, ct))
        {
            if (sample.IsStart) DispatchLatency.Observe(sample.Seconds);
            else RunTime.WithLabels(sample.State).Observe(sample.Seconds);
            _watermark = sample.EventId;
        }
    }
}
