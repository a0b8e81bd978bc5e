using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>A large job is not starved by a stream of small ones; small ones backfill around its reservation.</summary>
public sealed class BackfillTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task TwoCoreJob_BehindAStreamOfOneCoreJobs_StartsWithinItsReservedSlot_WhileShortJobsBackfill()
    {
        var client = cluster.Client;
        var longJob = await client.SubmitAsync("sleep 4", new { time_limit = "0:00:08" });
        var longRunning = await client.WaitForStateAsync(longJob, "RUNNING");
        var reservedBy = DateTime.Parse(longRunning["time"]!["start_time"]!.GetValue<string>()).ToUniversalTime().AddSeconds(8);
        var big = await client.SubmitAsync("true", new { cpus_per_task = 2, time_limit = "1" });

        var stream = new List<string>();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && ConductorClient.State(await client.QueryAsync(big)) == "PENDING")
        {
            stream.Add(await client.SubmitAsync("sleep 1", new { time_limit = "0:00:02" }));
            await Task.Delay(300); // the pace of the stream, not a wait for a result
        }
        var bigJob = await client.WaitForFinishAsync(big, TimeSpan.FromSeconds(30));

        var bigStart = DateTime.Parse(bigJob["time"]!["start_time"]!.GetValue<string>()).ToUniversalTime();
        bigStart.Should().BeOnOrBefore(reservedBy.AddSeconds(1), "the 2-core job starts no later than its reserved slot");
        var starts = new List<DateTime?>();
        foreach (var id in stream)
        {
            var job = await client.QueryAsync(id);
            starts.Add(job["time"]!["start_time"] is { } s ? DateTime.Parse(s.GetValue<string>()).ToUniversalTime() : null);
        }
        starts.Should().Contain(s => s != null && s < bigStart, "short jobs backfill the free core while the big one waits");
        foreach (var id in stream) await client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
        await Invariants.AssertHoldAsync(cluster.Database);
    }
}
