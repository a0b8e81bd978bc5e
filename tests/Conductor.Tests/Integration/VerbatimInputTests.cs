using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// Job names and environment values are data: they reach the job byte for byte and no shell of
/// the worker ever interprets them.
/// </summary>
public sealed class VerbatimInputTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task ShellMetacharacters_InNameAndEnvironment_ReachTheJobVerbatim_AndAreNeverRun()
    {
        var marker = $"/tmp/conductor-pwned-{Guid.NewGuid():N}";
        var hostile = $"$(touch {marker}) `touch {marker}` ; touch {marker} && echo \"'\\ ${{IFS}} %x %j *";
        var id = await cluster.Client.SubmitAsync("printf '%s\\n' \"$CONDUCTOR_JOB_NAME\" \"$SLURM_JOB_NAME\" \"$PAYLOAD\"",
            new { name = hostile, environment = new Dictionary<string, string> { ["PAYLOAD"] = hostile } });

        var job = await cluster.Client.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be($"{hostile}\n{hostile}\n{hostile}\n", "names and values arrive verbatim");
        job["detail"]!["job_name"]!.GetValue<string>().Should().Be(hostile);
        File.Exists(marker).Should().BeFalse("no shell of the worker may interpret a job's name or environment");
    }
}
