using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>A one-core cluster whose accounts authenticate with tokens: jobs queue behind each other.</summary>
public sealed class OneCoreTokenClusterFixture : ClusterFixture
{
    protected override int WorkerCpus => 1;

    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();
}

/// <summary>Shared steps of the operations tests.</summary>
internal static class OpsKit
{
    /// <summary>A script that runs until the test creates "go" in the job's directory.</summary>
    public const string WaitForGo = "while [ ! -e \"$CONDUCTOR_JOB_DIR/go\" ]; do sleep 0.1; done\n";

    public static Task Go(ClusterFixture cluster, string id) => File.WriteAllTextAsync(Path.Combine(cluster.DataDir, "jobs", id, "go"), "");

    public static Task<JsonNode> WaitSpawnedAsync(ConductorClient client, string id) =>
        Eventually.Until(() => client.QueryAsync(id), j => j["pid"] is not null && ConductorClient.State(j) == "RUNNING",
            TimeSpan.FromSeconds(30), $"job {id} is spawned");

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(ConductorClient client, string path, object? body = null)
    {
        var response = body is null ? await client.Http.PostAsync(path, null) : await client.Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> PatchAsync(ConductorClient client, string path, object body)
    {
        var response = await client.Http.PatchAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static async Task<List<JsonNode>> EventsAsync(ConductorClient client, string id) =>
        (await client.GetJsonAsync($"/jobs/{id}/events"))["events"]!.AsArray().Select(e => e!).ToList();
}
