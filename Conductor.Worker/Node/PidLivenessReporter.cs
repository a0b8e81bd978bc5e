using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Processes;

namespace Conductor.Worker.Node;

/// <summary>
/// Every heartbeat, checks the processes of this node's RUNNING jobs (pid, start time and boot
/// id, as recovery does) and reports the verdicts to the database, where the health check
/// (running_job_pids_alive) reads them: only the node itself can see its own processes.
/// It reports; it does not act — recovery, cancel and the supervisors own the outcomes.
/// </summary>
public sealed class PidLivenessReporter(
    JobStore store, IProcessProbe probe, NodeAgent node, IOptions<WorkerOptions> options, ILogger<PidLivenessReporter> log) : WorkerService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, ct);
                if (node.CoreIds.Length == 0 || node.Fenced) continue; // not registered yet, or no longer ours
                await ReportAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (TransientFaults.IsTransient(e))
            {
                log.LogDebug("Pid liveness not reported: {Error}", e.Message);
            }
        }
    }

    // Jobs whose process was gone at the previous check. A job whose process has just exited is
    // RUNNING until its outcome is written a moment later: only a job found gone twice in a row
    // is reported dead, so busy nodes of short jobs do not raise false alarms.
    private HashSet<long> _goneBefore = [];

    private async Task ReportAsync(CancellationToken ct)
    {
        var jobs = await store.RunningOnNodeAsync(node.Name, ct);
        var alive = new List<long>();
        var gone = new HashSet<long>();
        foreach (var job in jobs.Where(j => j.Pid is not null))
        {
            var ok = job.BootId is { } boot && job.ProcessStartTicks is { } ticks && probe.IsSameProcess(job.Pid!.Value, ticks, boot);
            if (ok) alive.Add(job.Id);
            else gone.Add(job.Id);
        }
        var dead = gone.Where(_goneBefore.Contains).ToList();
        _goneBefore = gone;
        await store.ReportPidLivenessAsync(node.Name, alive, dead, ct);
        if (dead.Count > 0) log.LogWarning("RUNNING jobs {JobIds} on {Node} have no live process", dead, node.Name);
    }
}
