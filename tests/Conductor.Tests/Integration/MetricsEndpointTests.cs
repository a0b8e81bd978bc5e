using System.Globalization;
using System.Text.RegularExpressions;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>GET /metrics: valid Prometheus text; the submitted counter moves; gauges and histograms follow the rows.</summary>
public sealed partial class MetricsEndpointTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    [Fact]
    public async Task Metrics_ParseAsPrometheusText_AndTheSubmittedCounterMoves()
    {
        var before = await ScrapeAsync();
        await cluster.Client.SubmitAsync("true");
        var after = await ScrapeAsync();

        after["conductor_jobs_submitted_total"].Should().Be(before["conductor_jobs_submitted_total"] + 1, "one job was submitted");
        var pending = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE state = 'PENDING'");
        after["conductor_jobs{state=\"PENDING\"}"].Should().Be(pending, "the state gauge is read from the database at scrape time");
        after["conductor_queue_depth"].Should().Be(pending);
        after["conductor_database_up"].Should().Be(1);
    }

    [Fact]
    public async Task RunTimeHistogram_CountsJobsThatFinishAfterTheFirstScrape()
    {
        var before = await ScrapeAsync();
        var id = await Seed.JobAsync(cluster.Database, "COMPLETED", endedAge: "1 second");
        await cluster.Database.ExecuteAsync(
            $"INSERT INTO job_events (job_id, from_state, to_state, reason, at) VALUES ({id}, 'RUNNING', 'COMPLETED', 'None', now())");

        var after = await ScrapeAsync();

        const string count = "conductor_job_run_seconds_count{state=\"COMPLETED\"}";
        after[count].Should().Be(before.GetValueOrDefault(count) + 1, "the finish was read from the event log");
        after["conductor_job_run_seconds_sum{state=\"COMPLETED\"}"].Should().BeApproximately(before.GetValueOrDefault("conductor_job_run_seconds_sum{state=\"COMPLETED\"}") + 10, 0.01,
            "the seeded job ran for ten seconds");
    }

    /// <summary>Parses every line, failing on anything that is not a comment or a well-formed sample.</summary>
    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        var response = await cluster.Client.Http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        var samples = new Dictionary<string, double>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ") || line.StartsWith("# TYPE ")) continue;
            var match = Sample().Match(line);
            match.Success.Should().BeTrue($"'{line}' is a Prometheus text sample");
            samples[match.Groups["series"].Value] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return samples;
    }

    [GeneratedRegex("""^(?<series>[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?) (?<value>-?[0-9.eE+-]+|NaN|[+-]Inf)( -?[0-9]+)?$""")]
    private static partial Regex Sample();
}
