using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Redis is only a wake-up channel: losing it adds latency, never loses work.</summary>
[Collection(OutageCollection.Name)]
public sealed class RedisOutageTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    [Fact]
    public async Task RedisStoppedMidTest_JobsStillComplete_AndWakeUpsResumeWhenItReturns()
    {
        // A long safety poll while Redis is up: a fast start after Redis returns proves the wake-up came through Redis.
        var settings = cluster.Settings() with { Extra = new() { ["Conductor__Worker__RedisPollIntervalSeconds"] = "60" } };
        var worker = await cluster.StartWorkerAsync(settings);
        var first = await cluster.Client.SubmitAsync("echo before");
        (await cluster.Client.WaitForFinishAsync(first))["state"]!.GetValue<string>().Should().Be("COMPLETED");

        await RedisServer.StopAsync();
        try
        {
            var during = await cluster.Client.SubmitAsync("echo during");
            var job = await cluster.Client.WaitForFinishAsync(during, TimeSpan.FromSeconds(30));
            job["state"]!.GetValue<string>().Should().Be("COMPLETED", "with Redis down the worker polls PostgreSQL\n" + worker.Output);
        }
        finally
        {
            await RedisServer.StartAsync();
        }

        await Eventually.Until(() => worker.Output.Contains("Redis connection restored", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
            "the worker reconnects to Redis by itself");
        await Eventually.Until(async () => (await cluster.Client.GetJsonAsync("/health"))["redis"]!.GetValue<string>(), r => r == "up",
            TimeSpan.FromSeconds(30), "the API reconnects to Redis by itself");
        var after = await cluster.Client.SubmitAsync("echo after");
        var started = await cluster.Client.WaitForFinishAsync(after, TimeSpan.FromSeconds(20));
        started["state"]!.GetValue<string>().Should().Be("COMPLETED");
        var latency = DateTime.Parse(started["time"]!["start_time"]!.GetValue<string>()) - DateTime.Parse(started["time"]!["submit_time"]!.GetValue<string>());
        latency.Should().BeLessThan(TimeSpan.FromSeconds(10), "the wake-up arrives over Redis again, not after the 60 s safety poll");
    }
}
