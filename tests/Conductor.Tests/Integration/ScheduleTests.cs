using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary><c>/scheduled-jobs</c>: cron schedules that create exactly one job per fire time.</summary>
public sealed class ScheduleTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    private async Task<JsonNode> CreateAsync(object body)
    {
        var response = await cluster.Client.Http.PostAsJsonAsync("/scheduled-jobs", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!;
    }

    private Task<long> JobCountAsync(string scheduleId) =>
        cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE schedule_id = {scheduleId}");

    [Fact]
    public async Task ScheduleEveryTwoSeconds_WithTwoSchedulers_FiresOncePerFireTime_WithoutGaps()
    {
        await using var secondApi = new ApiHost(cluster.Database.ConnectionString);
        secondApi.CreateClient(); // starts the second host and its scheduler

        var schedule = await CreateAsync(new { name = "every-2s", cron = "*/2 * * * * *", job_template = new { job = new { }, script = "echo tick" } });
        var id = schedule["id"]!.GetValue<string>();
        await Eventually.Until(() => JobCountAsync(id), n => n >= 4, TimeSpan.FromSeconds(30), "the schedule fires four times");
        (await cluster.Client.Http.PatchAsJsonAsync($"/scheduled-jobs/{id}", new { status = 0 })).StatusCode.Should().Be(HttpStatusCode.OK);

        var fireTimes = (await cluster.Database.ScalarAsync<DateTime[]>(
            $"SELECT array_agg(schedule_fire_time ORDER BY schedule_fire_time) FROM jobs WHERE schedule_id = {id}")).ToList();
        fireTimes.Should().OnlyHaveUniqueItems("two schedulers never create two jobs for one fire time");
        fireTimes[0].Should().Be(schedule["next_fire_time"]!.GetValue<DateTime>().ToUniversalTime(), "the first fire is the first time due after creation");
        fireTimes.Zip(fireTimes.Skip(1), (a, b) => b - a).Should().AllSatisfy(gap => gap.Should().Be(TimeSpan.FromSeconds(2), "no fire time is missed or doubled"));
        fireTimes.Should().AllSatisfy(t => (t.Second % 2).Should().Be(0, "*/2 fires on even seconds"));
        var disabled = await cluster.Client.GetJsonAsync($"/scheduled-jobs/{id}");
        disabled["status"]!.GetValue<int>().Should().Be(0);
        disabled["next_fire_time"].Should().BeNull("a disabled schedule has no next fire time");
    }

    [Fact]
    public async Task OverlapSkip_DoesNotFireWhileThePreviousJobIsStillPending()
    {
        // No worker runs in this cluster: the first job stays PENDING, so every later fire is skipped.
        var schedule = await CreateAsync(new { cron = "* * * * * *", overlap = "skip", job_template = new { script = "true" } });
        var id = schedule["id"]!.GetValue<string>();

        var firstFire = schedule["next_fire_time"]!.GetValue<DateTime>().ToUniversalTime();
        await Eventually.Until(async () => (await cluster.Client.GetJsonAsync($"/scheduled-jobs/{id}"))["next_fire_time"]!.GetValue<DateTime>(),
            next => next.ToUniversalTime() >= firstFire.AddSeconds(3), TimeSpan.FromSeconds(30), "three more fire times pass");

        (await JobCountAsync(id)).Should().Be(1, "overlap=skip skips fires while the schedule's previous job has not finished");
        await cluster.Client.Http.DeleteAsync($"/scheduled-jobs/{id}");
    }

    [Fact]
    public async Task Schedules_CanBeListedFetchedUpdatedAndDeleted()
    {
        var created = await CreateAsync(new { name = "nightly", cron = "0 30 2 * * *", time_zone = "Europe/Berlin", job_template = new { script = "echo nightly" } });
        var id = created["id"]!.GetValue<string>();

        var listed = await cluster.Client.GetJsonAsync("/scheduled-jobs");
        var patched = await cluster.Client.Http.PatchAsJsonAsync($"/scheduled-jobs/{id}", new { status = 2, cron = "0 0 3 * * *" });
        var fetched = await cluster.Client.GetJsonAsync($"/scheduled-jobs/{id}");
        var deleted = await cluster.Client.Http.DeleteAsync($"/scheduled-jobs/{id}");
        var gone = await cluster.Client.Http.GetAsync($"/scheduled-jobs/{id}");

        created["next_fire_time"]!.GetValue<DateTime>().ToUniversalTime().Minute.Should().Be(30, "02:30 Berlin time is hh:30 in UTC");
        listed["scheduled_jobs"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()).Should().Contain(id);
        patched.StatusCode.Should().Be(HttpStatusCode.OK);
        fetched["status"]!.GetValue<int>().Should().Be(2, "2 means paused");
        fetched["cron"]!.GetValue<string>().Should().Be("0 0 3 * * *");
        fetched["job_template"]!["script"]!.GetValue<string>().Should().Be("echo nightly", "fields not in the PATCH are kept");
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"cron":"*/2 * * * * * *","job_template":{"script":"true"}}""", "cron")]
    [InlineData("""{"cron":"every minute","job_template":{"script":"true"}}""", "cron")]
    [InlineData("""{"cron":"0 * * * *","time_zone":"Mars/Olympus","job_template":{"script":"true"}}""", "time_zone")]
    [InlineData("""{"cron":"0 * * * *"}""", "job_template")]
    [InlineData("""{"job_template":{"script":"true"}}""", "cron")]
    [InlineData("""{"cron":"0 * * * *","job_template":{"script":"  "}}""", "job_template.script")]
    [InlineData("""{"cron":"0 * * * *","job_template":{"job":{"cpus_per_task":0},"script":"true"}}""", "job_template.job.cpus_per_task")]
    [InlineData("""{"cron":"0 * * * *","status":7,"job_template":{"script":"true"}}""", "status")]
    [InlineData("""{"cron":"0 * * * *","overlap":"queue","job_template":{"script":"true"}}""", "overlap")]
    [InlineData("""{"cron":"0 * * * *","misfire":"all","job_template":{"script":"true"}}""", "misfire")]
    public async Task InvalidSchedule_Answers400NamingTheField(string body, string field)
    {
        var response = await cluster.Client.PostRawAsync("/scheduled-jobs", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be(field);
    }

    [Fact]
    public async Task UnknownSchedule_Answers404()
    {
        (await cluster.Client.Http.GetAsync("/scheduled-jobs/987654")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await cluster.Client.Http.DeleteAsync("/scheduled-jobs/987654")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
