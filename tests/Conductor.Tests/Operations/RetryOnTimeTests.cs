using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>A cluster whose accounts authenticate with tokens, with a 2-core worker.</summary>
public sealed class TokenClusterFixture : ClusterFixture
{
    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();
}

/// <summary>Retries wait out their delay with reason BeginTime and start on time; schedules' jobs run under the schedule's account.</summary>
public sealed class RetryOnTimeTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>
{
    [Fact]
    public async Task RetryWaitingOutItsDelay_SaysBeginTime_AndStartsWithinASecondOfIt()
    {
        var client = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "retry-admin", admin: true));
        var id = await client.SubmitAsync("[ \"$CONDUCTOR_RESTART_COUNT\" -ge 1 ]", new { max_retries = 1, retry_delay = "3" });

        var waiting = await Eventually.Until(() => client.QueryAsync(id), j => ConductorClient.State(j) == "PENDING" && j["attempt"]!.GetValue<int>() == 1,
            TimeSpan.FromSeconds(30), "the first attempt failed and waits for its retry");
        await client.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(30));

        waiting["reason"]!.GetValue<string>().Should().Be("BeginTime", "it waits for its retry delay, not for cores (both are free)");
        var events = await OpsKit.EventsAsync(client, id);
        var requeued = events.First(e => e["from"]?.GetValue<string>() == "RUNNING" && e["to"]!.GetValue<string>() == "PENDING")["at"]!.GetValue<DateTime>();
        var restarted = events.Last(e => e["to"]!.GetValue<string>() == "RUNNING")["at"]!.GetValue<DateTime>();
        (restarted - requeued).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3)).And.BeLessThan(TimeSpan.FromSeconds(4),
            "the retry starts within a second of its 3 s delay, not at the next poll");
    }

    [Fact]
    public async Task JobsAScheduleCreates_RunUnderTheSchedulesAccount()
    {
        var admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "schedule-owner", admin: true));
        var response = await admin.Http.PostAsJsonAsync("/scheduled-jobs", new { cron = "* * * * * *", job_template = new { job = new { }, script = "echo tick" } });
        var schedule = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.Should().Be(HttpStatusCode.Created, schedule.ToJsonString());
        var scheduleId = schedule["id"]!.GetValue<string>();
        try
        {
            var account = await Eventually.Until(() => cluster.Database.ScalarAsync<string[]>(
                    $"SELECT coalesce(array_agg(account), '{{}}') FROM jobs WHERE schedule_id = {scheduleId}"),
                a => a.Length > 0, TimeSpan.FromSeconds(20), "the schedule fires");

            schedule["account"]!.GetValue<string>().Should().Be("schedule-owner");
            account.Should().AllBe("schedule-owner", "a schedule's jobs run under its creator's account, not 'default'");
        }
        finally
        {
            await admin.Http.DeleteAsync($"/scheduled-jobs/{scheduleId}");
        }
    }
}
