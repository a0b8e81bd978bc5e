using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Hosts;

/// <summary>
/// Workers on separate hosts (network and mount namespaces, <see cref="NamespaceHosts"/>): no
/// shared file system, no shared loopback, and links that can be cut.
/// </summary>
[Collection(NamespaceCollection.Name)]
public sealed class SeparateHostsTests(NamespaceHosts hosts)
{
    [NamespaceFact]
    public async Task AJobOnEachHost_Completes_AndItsOutputIsReadThroughTheApi()
    {
        // One core per host: two jobs at once land one on each.
        var script = $"/usr/sbin/ip -4 -o addr show dev eth0 | awk '{{print $4}}'; ls -A {hosts.DataDir("h1")} {hosts.DataDir("h2")} | wc -l; sleep 1";
        var ids = new[] { await hosts.Client.SubmitAsync(script), await hosts.Client.SubmitAsync(script) };

        var seen = new List<string>();
        foreach (var id in ids)
        {
            var job = await hosts.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
            ConductorClient.State(job).Should().Be("COMPLETED", job.ToJsonString());
            var node = await hosts.ScalarAsync<string>($"SELECT node FROM jobs WHERE id = {id}");
            var host = NamespaceHosts.Hosts.Single(h => hosts.NodeOf(h) == node);
            seen.Add(host);
            var lines = job["job_log"]!["stdout"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Should().NotBeEmpty(job.ToJsonString() + hosts.WorkerOutput(host));
            lines[0].Should().Be($"{hosts.Address(host)}/24", "the job ran in its host's network namespace");
            var page = await hosts.Client.GetJsonAsync($"/jobs/{id}/logs");
            page["content"]!.GetValue<string>().Should().StartWith(hosts.Address(host), "the API, which sees neither data dir, reads the output from the node");
        }
        seen.Should().BeEquivalentTo(NamespaceHosts.Hosts, "one job ran on each host");
    }

    [NamespaceFact]
    public async Task CuttingAHostsLink_FailsItsJobNodeFail_FreesItsCores_RunsNewWorkElsewhere_AndKillsTheSurvivorOnReconnect()
    {
        var id = await hosts.Client.SubmitAsync("echo started; sleep 600");
        var pid = await Eventually.Until(() => hosts.ScalarAsync<int?>($"SELECT pid FROM jobs WHERE id = {id}"), p => p is not null,
            TimeSpan.FromSeconds(60), "the job runs") ?? 0;
        var node = await hosts.ScalarAsync<string>($"SELECT node FROM jobs WHERE id = {id}");
        var cut = NamespaceHosts.Hosts.Single(h => hosts.NodeOf(h) == node);
        var other = NamespaceHosts.Hosts.Single(h => h != cut);

        string? blocker = null, waiting = null;
        await hosts.CutAsync(cut);
        try
        {
            var failed = await Eventually.Until(() => hosts.Client.QueryAsync(id), j => ConductorClient.State(j) != "RUNNING",
                TimeSpan.FromSeconds(30), "the cut-off node's job is failed after the lease");
            failed["reason"]!.GetValue<string>().Should().Be("NodeFail");
            (await hosts.ScalarAsync<long>($"SELECT count(*) FROM allocations WHERE job_id = {id} AND released_at IS NULL")).Should().Be(0, "its cores are freed");
            Processes.IsAlive(pid).Should().BeTrue("a node cut off from the network keeps running its jobs");

            var logs = await hosts.Client.Http.GetAsync($"/jobs/{id}/logs");
            logs.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "its output is on a node that cannot be reached");
            JsonNode.Parse(await logs.Content.ReadAsStringAsync())!["node"]!.GetValue<string>().Should().Be(node);

            var during = await hosts.Client.SubmitAsync("echo during the cut");
            ConductorClient.State(await hosts.Client.WaitForFinishAsync(during, TimeSpan.FromSeconds(60))).Should().Be("COMPLETED");
            (await hosts.ScalarAsync<string>($"SELECT node FROM jobs WHERE id = {during}")).Should().Be(hosts.NodeOf(other));
            // Keep the other host busy, so the next job waits for the cut one to come back.
            blocker = await hosts.Client.SubmitAsync("sleep 600");
            await hosts.Client.WaitForStateAsync(blocker, "RUNNING", TimeSpan.FromSeconds(60));
            waiting = await hosts.Client.SubmitAsync("echo after the cut");
        }
        finally
        {
            await hosts.MendAsync(cut);
        }

        await Processes.WaitAllGoneAsync([pid], "the reconnected node kills the survivor of its NodeFail job");
        ConductorClient.State(await hosts.Client.WaitForFinishAsync(waiting!, TimeSpan.FromSeconds(90))).Should().Be("COMPLETED", "the node rejoins and takes work");
        (await hosts.ScalarAsync<string>($"SELECT node FROM jobs WHERE id = {waiting}")).Should().Be(node);
        await hosts.Client.CancelAsync(blocker!);
        var output = hosts.WorkerOutput(cut);
        var killed = output.IndexOf($"Job {id} was already moved by someone else", StringComparison.Ordinal);
        killed.Should().BeGreaterThan(0, output);
        output.IndexOf($"Job {waiting} started on", killed, StringComparison.Ordinal).Should().BeGreaterThan(killed, "the survivor is killed before the node claims again");
        (await hosts.ScalarAsync<long>("""
            SELECT count(*) FROM allocations a JOIN allocations b ON a.node = b.node AND a.job_id < b.job_id AND a.cpu_ids && b.cpu_ids
            WHERE a.released_at IS NULL AND b.released_at IS NULL
            """)).Should().Be(0, "no core is held twice");
    }
}

[CollectionDefinition(Name)]
public sealed class NamespaceCollection : ICollectionFixture<NamespaceHosts>
{
    public const string Name = "separate hosts";
}
