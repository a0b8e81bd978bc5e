using System.Globalization;
using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>Accounting from each job's cgroup at its end (seff's figures), and the usage report computed by SQL.</summary>
public sealed class AccountingTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task JobBurningTwoCoresForThreeSeconds_IsChargedAboutSixCpuSeconds()
    {
        // RLIMIT_CPU stops each loop after 3 s of CPU time, however busy the machine is.
        var id = await cluster.Client.SubmitAsync("""
            (ulimit -t 3; while :; do :; done) &
            (ulimit -t 3; while :; do :; done) &
            wait
            exit 0
            """, new { cpus_per_task = 2, memory_per_node = "512M" });

        var done = await cluster.Client.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(60));

        var user = done["cpu_user_seconds"]!.GetValue<double>();
        var system = done["cpu_system_seconds"]!.GetValue<double>();
        (user + system).Should().BeApproximately(6, 1.2, "two loops of 3 s CPU each, within 20 %");
        var elapsed = (done["time"]!["end_time"]!.GetValue<DateTime>() - done["time"]!["start_time"]!.GetValue<DateTime>()).TotalSeconds;
        var cpuSeconds = await cluster.Database.ScalarAsync<double>($"SELECT cpu_seconds FROM jobs WHERE id = {id}");
        done["cpu_efficiency"]!.GetValue<double>().Should().BeApproximately(Math.Min(1, cpuSeconds / (elapsed * 2)), 0.01,
            "seff's CPU efficiency: CPU time / (elapsed x cores)");
    }

    [Fact]
    public async Task JobAllocating200MiB_HasAMaxRssWithinTenPercent_AndItsMemoryEfficiency()
    {
        const long allocated = 200L * 1024 * 1024;
        var id = await cluster.Client.SubmitAsync("dd if=/dev/zero of=/dev/null bs=200M count=1 status=none", new { memory_per_node = "1G" });

        var done = await cluster.Client.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(60));

        var rss = done["max_rss_bytes"]!.GetValue<long>();
        rss.Should().BeInRange((long)(allocated * 0.9), (long)(allocated * 1.1), "dd's 200 MiB buffer is the job's peak");
        done["memory_efficiency"]!.GetValue<double>().Should().BeApproximately(rss / (1024.0 * 1048576), 0.001, "peak / reserved (1 GiB)");
    }

    [Fact]
    public async Task PendingOrRunningJob_HasNoAccountingYet()
    {
        var id = await cluster.Client.SubmitAsync("true", new { begin_time = DateTime.UtcNow.AddHours(1).ToString("O") });
        var job = await cluster.Client.QueryAsync(id);
        foreach (var field in new[] { "cpu_user_seconds", "cpu_system_seconds", "max_rss_bytes", "cpu_efficiency", "memory_efficiency" })
            job[field].Should().BeNull($"{field} is null until the job ends");
        await cluster.Client.CancelAsync(id);
    }

    [Fact]
    public async Task UsageReport_EqualsADirectSqlSum_InJsonAndCsv()
    {
        var from = DateTime.UtcNow.AddSeconds(-1);
        var ids = new[]
        {
            await cluster.Client.SubmitAsync("sleep 0.3", new { account = "usage-a", cpus_per_task = 2 }),
            await cluster.Client.SubmitAsync("exit 2", new { account = "usage-a" }),
            await cluster.Client.SubmitAsync("sleep 0.2", new { account = "usage-b", partition = "default" }),
        };
        foreach (var id in ids) await cluster.Client.WaitForFinishAsync(id);
        var to = DateTime.UtcNow.AddSeconds(1);
        var window = $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}";

        var report = await cluster.Client.GetJsonAsync($"/accounting/usage?{window}&group_by=account");
        var csvResponse = await cluster.Client.Http.GetAsync($"/accounting/usage?{window}&group_by=account&format=csv");
        var csv = (await csvResponse.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var bad = await cluster.Client.Http.GetAsync($"/accounting/usage?group_by=colour");

        var rows = report["rows"]!.AsArray().ToDictionary(r => r!["group"]!.GetValue<string>(), r => r!);
        foreach (var account in new[] { "usage-a", "usage-b" })
        {
            var sql = $"FROM jobs WHERE account = '{account}' AND submit_time >= '{from:O}' AND submit_time < '{to:O}'";
            var coreHours = await cluster.Database.ScalarAsync<decimal>(
                $"SELECT coalesce(sum(cpus * extract(epoch FROM end_time - start_time)), 0) / 3600.0 {sql}");
            var failed = await cluster.Database.ScalarAsync<long>($"SELECT count(*) {sql} AND state = 'FAILED'");
            var jobs = await cluster.Database.ScalarAsync<long>($"SELECT count(*) {sql}");
            rows[account]["core_hours"]!.GetValue<double>().Should().BeApproximately((double)coreHours, 1e-9, account);
            rows[account]["jobs"]!.GetValue<long>().Should().Be(jobs);
            rows[account]["failed"]!.GetValue<long>().Should().Be(failed);
        }
        rows["usage-a"]["jobs"]!.GetValue<long>().Should().Be(2);
        csvResponse.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        csv[0].Should().StartWith("account,core_hours,jobs,pending,running,completed,failed,cancelled,mean_wait_seconds");
        var csvA = csv.Single(l => l.StartsWith("usage-a,", StringComparison.Ordinal)).Split(',');
        double.Parse(csvA[1], CultureInfo.InvariantCulture).Should().BeApproximately(rows["usage-a"]["core_hours"]!.GetValue<double>(), 1e-6);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
