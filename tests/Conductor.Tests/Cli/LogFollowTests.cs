using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Cli;

/// <summary><c>conductor logs -f</c> across an API restart, and <c>conductor wait</c>'s exit code.</summary>
[Collection("Cli")]
public class LogFollowTests(CliCluster cluster) : IClassFixture<CliCluster>
{
    [Fact]
    public async Task Logs_follow_survives_an_api_restart_without_losing_or_repeating_a_line()
    {
        var path = cluster.Write("count.sh", "#!/bin/bash\nfor i in $(seq 1 40); do echo \"line $i\"; sleep 0.25; done\n");
        var id = (await cluster.RunAsync(["sbatch", "--parsable", path])).Out.Trim();
        var follow = cluster.RunAsync(["logs", "-f", id], timeout: TimeSpan.FromSeconds(120));
        await Eventually.Until(() => File.Exists(Path.Combine(cluster.WorkDir, $"slurm-{id}.out")) && cluster.Read($"slurm-{id}.out").Contains("line 8"),
            TimeSpan.FromSeconds(60), "the job has written some lines");

        await cluster.StopApiAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the job writes on while no API is there
        await cluster.StartApiAsync();
        var result = await follow;

        result.Code.Should().Be(0, result.ToString());
        result.Out.Should().Be(string.Concat(Enumerable.Range(1, 40).Select(i => $"line {i}\n")));
    }

    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 7", 7)]
    [InlineData("kill -9 $$", 137)]
    public async Task Wait_exits_with_the_jobs_exit_code(string body, int code)
    {
        var id = (await cluster.RunAsync(["sbatch", "--parsable", "--wrap", body])).Out.Trim();

        var result = await cluster.RunAsync(["wait", id]);

        result.Code.Should().Be(code, result.ToString());
    }

    [Fact]
    public async Task Wait_gives_up_at_its_timeout_with_124()
    {
        var id = (await cluster.RunAsync(["sbatch", "--parsable", "--wrap", "sleep 60"])).Out.Trim();

        var result = await cluster.RunAsync(["wait", "--timeout", "1", id]);

        result.Code.Should().Be(124, result.ToString());
        await cluster.RunAsync(["scancel", id]);
    }
}
