using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>A 2-core node never runs more than two 1-core jobs at once, each on its own core.</summary>
public sealed class CoreReservationTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task TwoCoreNode_GivenThreeOneCoreJobs_RunsAtMostTwoAtOnce_EachOnOneCore()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await cluster.Client.SubmitAsync("nproc; cat /proc/self/status | grep Cpus_allowed_list | cut -f2; sleep 1.5"));

        var maxRunning = 0;
        var overlapSeen = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (DateTime.UtcNow < deadline)
        {
            var running = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE state = 'RUNNING'");
            // One statement, one snapshot: cores held vs distinct core ids held.
            var snapshot = await cluster.Database.ScalarAsync<long[]>("""
                SELECT ARRAY[(SELECT coalesce(sum(cpus), 0) FROM allocations WHERE released_at IS NULL),
                             (SELECT count(DISTINCT c) FROM allocations, unnest(cpu_ids) c WHERE released_at IS NULL)]
                """);
            var held = snapshot[0];
            held.Should().Be(snapshot[1], "no core is held twice");
            held.Should().BeLessThanOrEqualTo(2, "the node has two cores");
            maxRunning = Math.Max(maxRunning, (int)running);
            var finished = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE state IN ('COMPLETED','FAILED','CANCELLED')");
            if (finished == 3) break;
            await Task.Delay(20);
        }

        maxRunning.Should().Be(2, "two cores fit exactly two 1-core jobs");
        var cores = new HashSet<string>();
        foreach (var id in ids)
        {
            var job = await cluster.Client.QueryAsync(id);
            ConductorClient.State(job).Should().Be("COMPLETED");
            var lines = job["job_log"]!["stdout"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines[0].Should().Be("1", "a 1-core job sees exactly one core");
            cores.Add(lines[1]);
        }
        cores.Should().BeSubsetOf(["0", "1"]);
        var starts = await TimesAsync("start_time");
        var ends = await TimesAsync("end_time");
        starts[2].Should().BeOnOrAfter(ends.Min(), "the third job waited for a core to be released");
    }

    private async Task<List<DateTime>> TimesAsync(string column)
    {
        await using var db = cluster.Database.Context();
        var jobs = db.Jobs.OrderBy(j => j.Id).ToList();
        return jobs.Select(j => column == "start_time" ? j.StartTime!.Value : j.EndTime!.Value).ToList();
    }
}
