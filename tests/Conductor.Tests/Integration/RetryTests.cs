using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Opt-in retries: max_retries and retry_delay; without them a failure is final.</summary>
public sealed class RetryTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private async Task<List<string>> TransitionsAsync(string id) =>
        (await cluster.Client.GetJsonAsync($"/jobs/{id}/events"))["events"]!.AsArray()
            .Select(e => $"{e!["from"]?.GetValue<string>() ?? "-"}>{e!["to"]!.GetValue<string>()}").ToList();

    [Fact]
    public async Task FailingJob_WithRetriesLeft_RunsAgain_UntilItSucceeds()
    {
        var id = await cluster.Client.SubmitAsync("echo \"restart $CONDUCTOR_RESTART_COUNT\"\n[ \"$CONDUCTOR_RESTART_COUNT\" -ge 2 ]\n",
            new { max_retries = 3, retry_delay = "0" });

        var done = await cluster.Client.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(60));

        done["attempt"]!.GetValue<int>().Should().Be(3, "attempts 1 and 2 failed, the third succeeded");
        done["job_log"]!["stdout"]!.GetValue<string>().Should().Contain("restart 2", "each attempt sees its restart count");
        (await TransitionsAsync(id)).Count(t => t == "RUNNING>PENDING").Should().Be(2, "each failed attempt is recorded");
    }

    [Fact]
    public async Task FailingJob_WithoutRetries_FailsAfterOneAttempt()
    {
        var id = await cluster.Client.SubmitAsync("exit 3");

        var done = await cluster.Client.WaitForStateAsync(id, "FAILED");

        done["attempt"]!.GetValue<int>().Should().Be(1, "failed jobs are never retried unless they asked for it");
        done["reason"]!.GetValue<string>().Should().Be("NonZeroExitCode");
    }

    [Fact]
    public async Task FailingJob_OutOfRetries_EndsFailed_AndOnlyThenSatisfiesAfterNotOk()
    {
        var id = await cluster.Client.SubmitAsync("exit 1", new { max_retries = 1, retry_delay = "2" });
        var cleanup = await cluster.Client.SubmitAsync("echo cleanup", new { dependency = $"afternotok:{id}" });

        var failed = await cluster.Client.WaitForStateAsync(id, "FAILED", TimeSpan.FromSeconds(60));
        var cleaned = await cluster.Client.WaitForStateAsync(cleanup, "COMPLETED", TimeSpan.FromSeconds(30));

        failed["attempt"]!.GetValue<int>().Should().Be(2, "one retry, then the failure is final");
        cleaned["time"]!["start_time"]!.GetValue<DateTime>().Should().BeOnOrAfter(failed["time"]!["end_time"]!.GetValue<DateTime>(),
            "a job that is being retried has not failed yet");
        var events = (await cluster.Client.GetJsonAsync($"/jobs/{id}/events"))["events"]!.AsArray();
        var requeued = events.First(e => e!["to"]!.GetValue<string>() == "PENDING" && e["from"] is not null)!["at"]!.GetValue<DateTime>();
        var secondStart = events.Where(e => e!["to"]!.GetValue<string>() == "RUNNING").Last()!["at"]!.GetValue<DateTime>();
        (secondStart - requeued).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9), "the retry waits out its 2 s delay");
    }
}
