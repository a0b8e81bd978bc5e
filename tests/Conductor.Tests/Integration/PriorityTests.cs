using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>A cluster with a single 1-core node, so jobs queue behind each other.</summary>
public sealed class OneCoreClusterFixture : ClusterFixture
{
    protected override int WorkerCpus => 1;
}

/// <summary>Higher priority runs first, whatever the submit order; pending jobs say why they wait.</summary>
public sealed class PriorityTests(OneCoreClusterFixture cluster) : IClassFixture<OneCoreClusterFixture>
{
    private const string WaitForGo = "while [ ! -e \"$CONDUCTOR_JOB_DIR/go\" ]; do sleep 0.1; done\n";

    [Fact]
    public async Task HighSubmittedAfterLow_StartsFirst_OnceTheCoreIsFree()
    {
        var blocker = await cluster.Client.SubmitAsync(WaitForGo);
        await Eventually.Until(() => cluster.Client.QueryAsync(blocker), j => j["pid"] is not null, TimeSpan.FromSeconds(30),
            "the blocker is spawned and holds the only core");
        var low = await cluster.Client.SubmitAsync("echo low", new { priority = 1 });
        var high = await cluster.Client.SubmitAsync("echo high", new { priority = 10 });

        var highWhileBlocked = await cluster.Client.QueryAsync(high);
        var lowWhileBlocked = await cluster.Client.QueryAsync(low);
        var listed = (await cluster.Client.GetJsonAsync("/jobs?state=PENDING"))["jobs"]!.AsArray()
            .ToDictionary(j => j!["job_id"]!.GetValue<string>(), j => j!["reason"]!.GetValue<string>());
        await File.WriteAllTextAsync(Path.Combine(cluster.DataDir, "jobs", blocker, "go"), "");
        await cluster.Client.WaitForStateAsync(low, "COMPLETED");
        await cluster.Client.WaitForStateAsync(high, "COMPLETED");

        var claimOrder = await cluster.Database.ScalarAsync<long[]>(
            $"SELECT array_agg(job_id ORDER BY id) FROM job_events WHERE to_state = 'RUNNING' AND job_id IN ({low}, {high})");
        claimOrder.Should().Equal([long.Parse(high), long.Parse(low)], "HIGH (10) outranks LOW (1) although it was submitted later");
        highWhileBlocked["reason"]!.GetValue<string>().Should().Be("Resources", "HIGH is next in line and waits only for a core");
        lowWhileBlocked["reason"]!.GetValue<string>().Should().Be("Priority", "LOW waits behind a higher-priority job");
        listed[high].Should().Be("Resources", "the list shows the same reasons as the query");
        listed[low].Should().Be("Priority");
    }
}
