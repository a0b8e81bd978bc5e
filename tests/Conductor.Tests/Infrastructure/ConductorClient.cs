using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Conductor.Tests.Infrastructure;

/// <summary>Speaks the HTTP API as an SCNS-Conductor client would.</summary>
public sealed class ConductorClient(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<string> SubmitAsync(string script, object? job = null)
    {
        var response = await http.PostAsJsonAsync("/jobs/submit", new { job = job ?? new { }, script });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["job_id"]!.GetValue<string>();
    }

    public async Task<HttpResponseMessage> PostRawAsync(string path, string body, string contentType = "application/json") =>
        await http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

    public async Task<JsonNode> QueryAsync(string id)
    {
        var response = await http.GetAsync($"/jobs/query/{id}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> CancelAsync(string id)
    {
        var response = await http.PostAsync($"/jobs/cancel/{id}", null);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue(body);
        return JsonNode.Parse(body)!;
    }

    public static string State(JsonNode job) => job["state"]!.GetValue<string>();

    public Task<JsonNode> WaitForStateAsync(string id, string state, TimeSpan? timeout = null) =>
        Eventually.Until(() => QueryAsync(id), j => State(j) == state, timeout ?? TimeSpan.FromSeconds(30), $"job {id} is {state}");

    public Task<JsonNode> WaitForFinishAsync(string id, TimeSpan? timeout = null) =>
        Eventually.Until(() => QueryAsync(id), j => State(j) is "COMPLETED" or "FAILED" or "CANCELLED",
            timeout ?? TimeSpan.FromSeconds(30), $"job {id} finishes");
}
