using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary><c>GET /jobs/{id}/events</c> and <c>POST /jobs/resubmit/{id}</c> against a real worker.</summary>
public sealed class HistoryAndResubmitTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Events_OfACompletedJob_ListEveryTransitionWithReasonAndNode()
    {
        var id = await cluster.Client.SubmitAsync("echo done");
        await cluster.Client.WaitForStateAsync(id, "COMPLETED");

        var history = await cluster.Client.GetJsonAsync($"/jobs/{id}/events");

        history["job_id"]!.GetValue<string>().Should().Be(id);
        var events = history["events"]!.AsArray();
        events.Select(e => $"{e!["from"]?.GetValue<string>() ?? "-"}>{e!["to"]!.GetValue<string>()}")
            .Should().Equal(["->PENDING", "PENDING>RUNNING", "RUNNING>COMPLETED"], "a job that ran once has three transitions");
        events[0]!["reason"]!.GetValue<string>().Should().Be("Submitted");
        events[1]!["node"]!.GetValue<string>().Should().Be(cluster.NodeName, "the claim names the node that took the job");
        events[2]!["node"]!.GetValue<string>().Should().Be(cluster.NodeName);
        events.Select(e => e!["at"]!.GetValue<DateTime>()).Should().BeInAscendingOrder("events are listed oldest first");
    }

    [Fact]
    public async Task Events_OfAnUnknownJob_Answer404()
    {
        var response = await cluster.Client.Http.GetAsync("/jobs/987654321/events");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Resubmit_OfAFinishedJob_RunsANewCopy_AndLeavesTheOldOneAsItWas()
    {
        var old = await cluster.Client.SubmitAsync("echo \"again $GREETING\"; exit 3", new { name = "copy-me", environment = new Dictionary<string, string> { ["GREETING"] = "hello" } });
        await cluster.Client.WaitForStateAsync(old, "FAILED");

        var response = await cluster.Client.Http.PostAsync($"/jobs/resubmit/{old}", null);

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var copy = JsonNode.Parse(body)!["job_id"]!.GetValue<string>();
        copy.Should().NotBe(old, "a resubmit creates a new job");
        var finished = await cluster.Client.WaitForStateAsync(copy, "FAILED");
        finished["detail"]!["job_name"]!.GetValue<string>().Should().Be("copy-me");
        finished["job_log"]!["stdout"]!.GetValue<string>().Should().Be("again hello\n", "the copy runs the same script with the same environment");
        finished["detail"]!["work_dir"]!.GetValue<string>().Should().EndWith($"/jobs/{copy}", "the copy gets its own job directory");
        ConductorClient.State(await cluster.Client.QueryAsync(old)).Should().Be("FAILED", "terminal states never change");
    }

    [Fact]
    public async Task Resubmit_OfAJobThatHasNotFinished_Answers409()
    {
        var id = await cluster.Client.SubmitAsync("sleep 30");
        await cluster.Client.WaitForStateAsync(id, "RUNNING");

        var response = await cluster.Client.Http.PostAsync($"/jobs/resubmit/{id}", null);

        response.StatusCode.Should().Be(HttpStatusCode.Conflict, "a running job is not finished");
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        await cluster.Client.CancelAsync(id);
        await cluster.Client.WaitForStateAsync(id, "CANCELLED");
    }

    [Fact]
    public async Task Resubmit_OfAnUnknownJob_Answers404()
    {
        var response = await cluster.Client.Http.PostAsync("/jobs/resubmit/987654321", null);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
