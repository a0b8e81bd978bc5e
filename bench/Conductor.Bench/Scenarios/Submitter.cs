using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Conductor.Bench.Scenarios;

/// <summary>
/// Submits jobs from several concurrent clients (one HTTP request per job) and records each
/// request's latency. The client shares the cores with what it measures, so it does no more per
/// request than a lean client would: the body is serialised once and only job_id is read from
/// the answer.
/// </summary>
public static class Submitter
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<(List<string> Ids, List<double> LatenciesMs)> SubmitAsync(HttpClient http, int total, int clients, string script)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new { job = new { cpus_per_task = 1 }, script });
        var ids = new List<string>(total);
        var latencies = new List<double>(total);
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                var sw = Stopwatch.StartNew();
                using var content = new ByteArrayContent(payload);
                content.Headers.ContentType = Json;
                using var response = await http.PostAsync("/jobs/submit", content);
                var body = await response.Content.ReadAsByteArrayAsync();
                var ms = sw.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"submit failed: {response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
                var id = JobId(body);
                lock (ids)
                {
                    ids.Add(id);
                    latencies.Add(ms);
                }
            }
        })));
        return (ids, latencies);
    }

    private static string JobId(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("job_id") && reader.Read())
                return reader.GetString()!;
        throw new InvalidOperationException($"no job_id in {System.Text.Encoding.UTF8.GetString(body)}");
    }
}
