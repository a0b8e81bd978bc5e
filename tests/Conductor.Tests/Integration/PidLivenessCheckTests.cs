using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// running_job_pids_alive: each worker checks its own RUNNING jobs' processes every heartbeat and
/// reports to the database; the health check turns CRITICAL for a job whose process is gone.
/// </summary>
public sealed class PidLivenessCheckTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task RunningJobWhoseProcessIsNotItsOwn_IsReportedByItsWorker_AndTheHealthCheckIsCritical()
    {
        var id = await cluster.Client.SubmitAsync("sleep 300");
        await RecoveryTests.RecordedPidAsync(cluster, id);
        await Eventually.Until(() => cluster.Database.ScalarAsync<bool>($"SELECT coalesce(pid_alive, false) FROM jobs WHERE id = {id}"),
            alive => alive, TimeSpan.FromSeconds(20), "the worker reports the live process");
        var healthy = await OperationsCommand.RunAsync(cluster.Database.ConnectionString, cluster.DataDir, null, ["health-check", "--json"]);
        healthy.Check("running_job_pids_alive")["status"]!.GetValue<string>().Should().Be("OK", healthy.ToString());

        // The recorded identity no longer matches any process (as after a PID was recycled).
        await cluster.Database.ExecuteAsync($"UPDATE jobs SET process_start_ticks = process_start_ticks + 1 WHERE id = {id}");
        await Eventually.Until(() => cluster.Database.ScalarAsync<bool>($"SELECT pid_alive = false FROM jobs WHERE id = {id}"),
            dead => dead, TimeSpan.FromSeconds(20), "the worker reports the process as not the job's");
        var run = await OperationsCommand.RunAsync(cluster.Database.ConnectionString, cluster.DataDir, null, ["health-check", "--json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        var check = run.Check("running_job_pids_alive");
        check["status"]!.GetValue<string>().Should().Be("CRITICAL");
        check["message"]!.GetValue<string>().Should().Contain($"job {id} on {cluster.NodeName}");
        await cluster.Client.CancelAsync(id);
        await cluster.Client.WaitForFinishAsync(id);
    }
}
