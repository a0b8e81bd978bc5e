using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Cli;

/// <summary>sbatch -H and --requeue, scontrol hold/release/requeue/update and sacct's accounting columns, with the real executable.</summary>
[Collection("Cli")]
public class OpsCliTests(CliCluster cluster) : IClassFixture<CliCluster>
{
    private async Task<string> SubmitAsync(string script, params string[] options)
    {
        var path = cluster.Write($"job-{Guid.NewGuid():N}.sh", script);
        var result = await cluster.RunAsync([.. options, "--parsable", path], name: "sbatch");
        result.Code.Should().Be(0, result.ToString());
        return result.Out.Trim();
    }

    [Fact]
    public async Task A_held_submit_waits_until_scontrol_release_and_scontrol_update_changes_it_first()
    {
        var id = await SubmitAsync("#!/bin/bash\n#SBATCH -J held\necho released\n", "-H", "--requeue");

        var shown = await cluster.RunAsync(["scontrol", "show", "job", id]);
        var update = await cluster.RunAsync(["scontrol", "update", $"JobId={id}", "Priority=2", "TimeLimit=10:00", "JobName=renamed"]);
        var badUpdate = await cluster.RunAsync(["scontrol", "update", $"JobId={id}", "Script=x"]);
        var release = await cluster.RunAsync(["scontrol", "release", id]);
        var done = await cluster.RunAsync(["wait", "--timeout", "60", id], timeout: TimeSpan.FromSeconds(90));
        var sacct = await cluster.RunAsync(["sacct", "-j", id, "-n", "-P", "--format=JobName,State,TotalCPU,CPUTime,MaxRSS"]);

        shown.Out.Should().Contain("Reason=Held").And.Contain("Priority=0", "Slurm shows a held job at priority 0");
        update.Code.Should().Be(0, update.ToString());
        badUpdate.Code.Should().Be(1);
        badUpdate.Err.Should().Contain("cannot be changed");
        release.Code.Should().Be(0, release.ToString());
        done.Code.Should().Be(0, done.ToString());
        sacct.Out.Trim().Should().MatchRegex(@"^renamed\|COMPLETED\|\d\d:\d\d\.\d{3}\|00:00:0\d\|\d+K$");
    }

    [Fact]
    public async Task Scontrol_requeue_of_a_running_job_runs_it_again_and_requeue_of_a_finished_one_fails()
    {
        var id = await SubmitAsync("#!/bin/bash\nif [ \"$CONDUCTOR_RESTART_COUNT\" = 1 ]; then exit 0; fi\nsleep 300\n");
        await Eventually.Until(() => cluster.RunAsync(["squeue", "-h", "-j", id, "-o", "%T"]), r => r.Out.Trim() == "RUNNING",
            TimeSpan.FromSeconds(30), "the job runs");

        var requeue = await cluster.RunAsync(["scontrol", "requeue", id]);
        var done = await cluster.RunAsync(["wait", "--timeout", "60", id], timeout: TimeSpan.FromSeconds(90));
        var again = await cluster.RunAsync(["scontrol", "requeue", id]);

        requeue.Code.Should().Be(0, requeue.ToString());
        done.Code.Should().Be(0, done.ToString());
        again.Code.Should().Be(1);
        again.Err.Should().Contain($"requeue of job {id}");
    }
}
