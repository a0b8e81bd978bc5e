using System.Net;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary><c>GET /jobs/{id}/logs</c>: byte-offset paging of the whole file, and live <c>follow</c> over SSE.</summary>
public sealed class JobLogsTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Logs_PageThroughTheWholeOutputFile_ByByteOffset()
    {
        var id = await cluster.Client.SubmitAsync("seq 1 40000");
        await cluster.Client.WaitForStateAsync(id, "COMPLETED");
        var expected = string.Concat(Enumerable.Range(1, 40000).Select(i => $"{i}\n"));

        var text = new StringBuilder();
        var pages = 0;
        long offset = 0;
        JsonNode page;
        do
        {
            page = await cluster.Client.GetJsonAsync($"/jobs/{id}/logs?stream=stdout&offset={offset}&limit=65536");
            page["offset"]!.GetValue<long>().Should().Be(offset, "a page starts where it was asked to");
            text.Append(page["content"]!.GetValue<string>());
            offset = page["next_offset"]!.GetValue<long>();
            pages++;
        }
        while (!page["eof"]!.GetValue<bool>() && pages < 100);

        text.ToString().Should().Be(expected, "the pages put together are the whole file, not only the 64 KiB tail");
        pages.Should().Be(4, "228,894 bytes take four 64 KiB pages");
        page["state"]!.GetValue<string>().Should().Be("COMPLETED");
    }

    [Fact]
    public async Task Logs_OfStderr_ReadTheErrorFile()
    {
        var id = await cluster.Client.SubmitAsync("echo out; echo 'to stderr' >&2");
        await cluster.Client.WaitForStateAsync(id, "COMPLETED");

        var page = await cluster.Client.GetJsonAsync($"/jobs/{id}/logs?stream=stderr");

        page["content"]!.GetValue<string>().Should().Be("to stderr\n");
        page["eof"]!.GetValue<bool>().Should().BeTrue();
    }

    [Theory]
    [InlineData("stream=stdin", "stream")]
    [InlineData("offset=-1", "offset")]
    [InlineData("limit=0", "limit")]
    [InlineData("follow=perhaps", "follow")]
    public async Task Logs_WithABadParameter_Answer400NamingIt(string query, string field)
    {
        var id = await cluster.Client.SubmitAsync("true");

        var response = await cluster.Client.Http.GetAsync($"/jobs/{id}/logs?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be(field);
    }

    [Fact]
    public async Task Logs_OfAnUnknownJob_Answer404()
    {
        (await cluster.Client.Http.GetAsync("/jobs/987654321/logs")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Follow_DeliversLinesWhileTheJobRuns_AndEndsWithTheFinalState()
    {
        // The job prints a line, then waits for the test's go-ahead, then prints another.
        var id = await cluster.Client.SubmitAsync("echo first\nwhile [ ! -e \"$CONDUCTOR_JOB_DIR/go\" ]; do sleep 0.1; done\necho second\n");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{id}/logs?follow=true");
        using var response = await cluster.Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        var events = SseParser.Create(await response.Content.ReadAsStreamAsync(deadline.Token)).EnumerateAsync(deadline.Token)
            .GetAsyncEnumerator(deadline.Token);

        (await NextAsync(events)).Data.Should().Be("first");
        ConductorClient.State(await cluster.Client.QueryAsync(id)).Should().Be("RUNNING", "the line arrived while the job was still running");
        await File.WriteAllTextAsync(Path.Combine(cluster.DataDir, "jobs", id, "go"), "");
        var second = await NextAsync(events);
        second.Data.Should().Be("second");
        second.EventId.Should().Be("13", "an event's id is the byte offset after its line, for Last-Event-ID");
        var end = await NextAsync(events);
        end.EventType.Should().Be("end");
        JsonNode.Parse(end.Data)!["state"]!.GetValue<string>().Should().Be("COMPLETED", "the stream ends with the job's final state");
        (await events.MoveNextAsync()).Should().BeFalse("the server closes the stream after the end event");
    }

    [Fact]
    public async Task Follow_AcrossARetry_DeliversTheNewAttemptsOutput()
    {
        var id = await cluster.Client.SubmitAsync("sleep 0.5; echo \"attempt $CONDUCTOR_RESTART_COUNT\"; [ \"$CONDUCTOR_RESTART_COUNT\" -ge 1 ]",
            new { max_retries = 1, retry_delay = "0" });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await cluster.Client.Http.GetAsync($"/jobs/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead, deadline.Token);

        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(deadline.Token)).EnumerateAsync(deadline.Token))
            items.Add(item);

        items[^1].EventType.Should().Be("end");
        JsonNode.Parse(items[^1].Data)!["state"]!.GetValue<string>().Should().Be("COMPLETED", "the retry succeeded");
        items[^2].Data.Should().Be("attempt 1", "the second attempt rewrote the file and the follower read it from its start");
    }

    private static async Task<SseItem<string>> NextAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        (await events.MoveNextAsync()).Should().BeTrue("the stream stays open until the end event");
        return events.Current;
    }
}
