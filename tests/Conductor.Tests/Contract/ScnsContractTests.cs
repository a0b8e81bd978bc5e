using System.Text.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Contract;

/// <summary>
/// SCNS-Conductor's request and response models (<see cref="ScnsModels"/>) round-trip against the
/// running API: SCNS's own request is accepted, and every field of every SCNS response is there
/// with SCNS's JSON type, for a job pending, running, finished and cancelled.
/// </summary>
public sealed class ScnsContractTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private ConductorClient Client => cluster.Client;

    [Fact]
    public async Task ScnsSubmitQueryAndCancel_HaveEveryScnsFieldWithItsType()
    {
        var name = $"contract-{Guid.NewGuid():N}"[..17];
        var submitted = await Client.PostRawAsync("/jobs/submit", ScnsModels.SubmitRequestJson(name, "#!/bin/bash\necho out\necho err >&2\n"));
        var submit = JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!;
        Shape(submit, ScnsModels.SubmitResponse);
        var id = submit["job_id"]!.GetValue<string>();

        var pending = await Client.QueryAsync(id);
        var finished = await Client.WaitForFinishAsync(id);

        foreach (var job in new[] { pending, finished })
        {
            Shape(job, ScnsModels.QueryResponse, "error_msg");
            Shape(job["time"]!, ScnsModels.TimeInfo, "start_time", "end_time");
            Shape(job["job_log"]!, ScnsModels.JobLog);
            Shape(job["detail"]!, ScnsModels.JobDetail, "node_list");
        }
        finished["state"]!.GetValue<string>().Should().BeOneOf("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED");
        finished["job_log"]!["stdout"]!.GetValue<string>().Should().Be("out\n");
        finished["detail"]!["data_source"]!.GetValue<string>().Should().BeOneOf("API", "CLI", "WEB");
        var (_, cancel) = await Client.CancelAsync(id);
        Shape(cancel!, ScnsModels.CancelResponse);
        foreach (var file in Directory.EnumerateFiles("/tmp", $"{name}.*")) File.Delete(file); // SCNS's request writes to /tmp
    }

    [Fact]
    public async Task ScnsDashboardAndServiceInfo_HaveEveryScnsFieldWithItsType()
    {
        var running = await Client.SubmitAsync("sleep 60");
        var pending = await Client.SubmitAsync("true", new { begin_time = "2099-01-01T00:00:00Z" });
        try
        {
            await Client.WaitForStateAsync(running, "RUNNING");
            var d = await Client.GetJsonAsync("/dashboard");

            Shape(d, ScnsModels.Dashboard);
            Shape(d["job_stats"]!, ScnsModels.JobStats);
            Shape(d["resource_stats"]!, ScnsModels.ResourceStats);
            foreach (var node in d["node_info"]!.AsArray()) Shape(node!, ScnsModels.NodeInfo);
            foreach (var job in d["running_jobs"]!.AsArray().Concat(d["pending_jobs"]!.AsArray())) Shape(job!, ScnsModels.JobSummary, "start_time");
            d["pending_jobs"]!.AsArray().Should().Contain(j => j!["job_id"]!.GetValue<long>() == long.Parse(pending));
            Shape(await Client.GetJsonAsync("/"), ScnsModels.ServiceInfo);
        }
        finally
        {
            await Client.CancelAsync(running);
            await Client.CancelAsync(pending);
        }
    }

    /// <summary>Every field of the model is present with its JSON type; <paramref name="nullable"/> ones (SCNS's Optional) may be null.</summary>
    private static void Shape(JsonNode node, Dictionary<string, JsonValueKind> model, params string[] nullable)
    {
        var obj = node.AsObject();
        foreach (var (field, kind) in model)
        {
            obj.ContainsKey(field).Should().BeTrue($"SCNS's model has '{field}': {node.ToJsonString()}");
            var actual = obj[field]?.GetValueKind() ?? JsonValueKind.Null;
            if (actual == JsonValueKind.Null && (kind == JsonValueKind.Null || nullable.Contains(field))) continue;
            var expected = kind switch { JsonValueKind.True or JsonValueKind.False => [JsonValueKind.True, JsonValueKind.False], JsonValueKind.Null => [JsonValueKind.String], _ => new[] { kind } };
            expected.Should().Contain(actual, $"'{field}' has SCNS's type in {node.ToJsonString()}");
        }
    }
}
