using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Conductor.Bench.Scenarios;

/// <summary>
/// Scenario 3: on an idle node, submit → process started, taken from the job's own clock
/// ($EPOCHREALTIME, printed by the script itself) minus the moment the client sent the submit.
/// </summary>
public static class DispatchLatency
{
    public static async Task<List<double>> RunAsync(int samples, bool redis, bool enforceMemory = true)
    {
        var env = new Dictionary<string, string>();
        if (!redis) env["ConnectionStrings__Redis"] = "127.0.0.1:1";
        if (!enforceMemory) env["Conductor__Worker__EnforceMemory"] = "false";
        await using var stack = await Stack.StartAsync(workerEnv: env);
        await stack.WarmUpAsync(100);
        var latencies = new List<double>();
        for (var i = 0; i < samples + 5; i++)
        {
            // Polling: submit at a random moment of the poll cycle, or every sample would land
            // just after a poll (the previous job's completion is seen by one).
            if (!redis) await Task.Delay(Random.Shared.Next(0, 1000));
            var sent = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            var response = await stack.Http.PostAsJsonAsync("/jobs/submit", new { job = new { }, script = "echo $EPOCHREALTIME" });
            var id = (await response.Content.ReadFromJsonAsync<JsonNode>())!["job_id"]!.GetValue<string>();
            JsonNode job = null!;
            await stack.WaitAsync(async () =>
            {
                job = (await stack.Http.GetFromJsonAsync<JsonNode>($"/jobs/query/{id}"))!;
                return job["state"]!.GetValue<string>() == "COMPLETED";
            }, $"job {id} completes", 30);
            var started = double.Parse(job["job_log"]!["stdout"]!.GetValue<string>().Trim(), CultureInfo.InvariantCulture);
            if (i >= 5) latencies.Add((started - sent) * 1000); // the first few warm up JIT and pools
        }
        return latencies;
    }
}
