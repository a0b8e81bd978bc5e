using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Conductor.Bench.Scenarios;

/// <summary>Submits jobs from several concurrent clients and records each request's latency.</summary>
public static class Submitter
{
    public static async Task<(List<string> Ids, List<double> LatenciesMs)> SubmitAsync(HttpClient http, int total, int clients, string script)
    {
        var ids = new List<string>(total);
        var latencies = new List<double>(total);
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                var sw = Stopwatch.StartNew();
                var response = await http.PostAsJsonAsync("/jobs/submit", new { job = new { cpus_per_task = 1 }, script });
                var body = await response.Content.ReadFromJsonAsync<JsonNode>();
                var ms = sw.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"submit failed: {response.StatusCode} {body}");
                lock (ids)
                {
                    ids.Add(body!["job_id"]!.GetValue<string>());
                    latencies.Add(ms);
                }
            }
        })));
        return (ids, latencies);
    }
}
