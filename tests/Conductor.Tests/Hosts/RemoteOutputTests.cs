using System.Diagnostics;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Conductor.Core.Nodes;
using Conductor.Tests.Infrastructure;
using Conductor.Tests.Integration;

namespace Conductor.Tests.Hosts;

/// <summary>Output from any node: the API reads it from the worker that runs the job, over a signed channel.</summary>
public sealed class RemoteOutputTests(RemoteOutputFixture cluster) : IClassFixture<RemoteOutputFixture>
{
    [Fact]
    public async Task OutputOfAJobOnAnotherNode_IsQueriedPagedAndFollowedThroughItsChannel()
    {
        var id = await cluster.Client.SubmitAsync("echo hello; echo oops >&2; seq 1 20000");
        await cluster.Client.WaitForStateAsync(id, "COMPLETED");
        var expected = "hello\n" + string.Concat(Enumerable.Range(1, 20000).Select(i => $"{i}\n"));

        var job = await cluster.Client.QueryAsync(id);
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Be(expected);
        job["job_log"]!["stderr"]!.GetValue<string>().Should().Be("oops\n");
        var page = await cluster.Client.GetJsonAsync($"/jobs/{id}/logs?offset=6&limit=10");
        page["content"]!.GetValue<string>().Should().Be("1\n2\n3\n4\n5\n");
        page["size"]!.GetValue<long>().Should().Be(expected.Length);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await cluster.Client.Http.GetAsync($"/jobs/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        var events = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(deadline.Token)).EnumerateAsync(deadline.Token))
            events.Add(item);
        events.Where(e => e.EventType == "message").Should().HaveCount(20001);
        events[^1].EventType.Should().Be("end");
    }

    [Fact]
    public async Task TheChannel_RefusesUnsignedWronglySignedAndStaleRequests()
    {
        var id = await cluster.Client.SubmitAsync("echo secret-output");
        await cluster.Client.WaitForStateAsync(id, "COMPLETED");
        var path = NodeChannel.RangePath(long.Parse(id), "stdout", 0, 100);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        (await SendAsync(path, null, null)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(path, now, NodeChannel.Sign("another-secret-0123456789abcdef0123", "GET", path, now))).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(path, now - 300, NodeChannel.Sign(RemoteOutputFixture.Secret, "GET", path, now - 300))).Status
            .Should().Be(HttpStatusCode.Unauthorized, "a captured request is worthless after a minute");
        var other = NodeChannel.RangePath(long.Parse(id), "stdout", 0, 101);
        (await SendAsync(other, now, NodeChannel.Sign(RemoteOutputFixture.Secret, "GET", path, now))).Status
            .Should().Be(HttpStatusCode.Unauthorized, "the signature covers the query");
        var good = await SendAsync(path, now, NodeChannel.Sign(RemoteOutputFixture.Secret, "GET", path, now));
        good.Status.Should().Be(HttpStatusCode.OK);
        good.Body.Should().Be("secret-output\n");
    }

    [Fact]
    public async Task TheChannel_ServesOnlyThisNodesJobs_AndOnlyTheFileTheRulesAllow()
    {
        var elsewhere = await Seed.JobAsync(cluster.Database, "RUNNING", node: "another-node");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var foreign = NodeChannel.RangePath(elsewhere, "stdout", 0, 100);
        (await SendAsync(foreign, now, NodeChannel.Sign(RemoteOutputFixture.Secret, "GET", foreign, now))).Status.Should().Be(HttpStatusCode.NotFound);
        var stdin = NodeChannel.RangePath(elsewhere, "stdin", 0, 100);
        (await SendAsync(stdin, now, NodeChannel.Sign(RemoteOutputFixture.Secret, "GET", stdin, now))).Status.Should().Be(HttpStatusCode.BadRequest);

        var work = Directory.CreateDirectory($"/tmp/conductor-ro-{Guid.NewGuid():N}").FullName;
        File.SetUnixFileMode(work, (UnixFileMode)0b1_111_111_111);
        var id = await cluster.Client.SubmitAsync("rm -f out.log; ln -s /etc/passwd out.log",
            new { current_working_directory = work, standard_output = "out.log" });
        await cluster.Client.WaitForFinishAsync(id);
        var page = await cluster.Client.GetJsonAsync($"/jobs/{id}/logs");
        page["content"]!.GetValue<string>().Should().BeEmpty("the worker applies the API's rules to its own files");
        page["withheld"]!.GetValue<string>().Should().Contain("symbolic link");
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task WhileTheJobsNodeIsUnreachable_LogsAnswer503NamingIt_QueryAndFollowSaySoWithoutHanging()
    {
        await Seed.NodeAsync(cluster.Database, RemoteOutputFixture.GhostNode);
        var id = await Seed.RunningJobAsync(cluster.Database, RemoteOutputFixture.GhostNode, 0);
        await cluster.Database.ExecuteAsync($"UPDATE jobs SET run_uid = 65534, stdout_path = '/tmp/ghost.log', stderr_path = '/tmp/ghost.err' WHERE id = {id}");

        var clock = Stopwatch.StartNew();
        var response = await cluster.Client.Http.GetAsync($"/jobs/{id}/logs");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "an unreachable node is a prompt answer, not a hang");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.Should().NotBeNull();
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["node"]!.GetValue<string>().Should().Be(RemoteOutputFixture.GhostNode);
        problem["detail"]!.GetValue<string>().Should().Contain("cannot be reached");

        var job = await cluster.Client.QueryAsync(id.ToString());
        ConductorClient.State(job).Should().Be("RUNNING");
        job["job_log"]!["withheld"]!.GetValue<string>().Should().Contain(RemoteOutputFixture.GhostNode);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var follow = await cluster.Client.Http.GetAsync($"/jobs/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        await foreach (var item in SseParser.Create(await follow.Content.ReadAsStreamAsync(deadline.Token)).EnumerateAsync(deadline.Token))
        {
            item.EventType.Should().Be("unreachable");
            item.Data.Should().Contain(RemoteOutputFixture.GhostNode);
            break;
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string pathAndQuery, long? time, string? signature)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cluster.OutputPort}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (time is { } t) request.Headers.Add(NodeChannel.TimeHeader, t.ToString());
        if (signature is not null) request.Headers.Add(NodeChannel.SignatureHeader, signature);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
