using System.Text.Json;

namespace Conductor.Tests.Contract;

/// <summary>
/// SCNS-Conductor's published models (pi-pi-cat/scns-conductor, <c>api/schemas/*.py</c>), written
/// down as fixtures: every field with the JSON type SCNS's Pydantic model gives it.
/// </summary>
public static class ScnsModels
{
    /// <summary>JobSubmitRequest / JobSpec: every field, as SCNS's API_EXAMPLES.md sends them.</summary>
    public static string SubmitRequestJson(string name, string script = "#!/bin/bash\necho \"Hello World\"\n") => JsonSerializer.Serialize(new
    {
        job = new
        {
            account = "my_project",
            environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" },
            current_working_directory = "/tmp",
            standard_output = $"{name}.out",
            standard_error = $"{name}.err",
            ntasks_per_node = 1,
            cpus_per_task = 1,
            memory_per_node = "1G",
            name,
            time_limit = "5",
            partition = "default",
            exclusive = false,
        },
        script,
    });

    /// <summary>JobSubmitResponse.</summary>
    public static readonly Dictionary<string, JsonValueKind> SubmitResponse = new() { ["job_id"] = JsonValueKind.String };

    /// <summary>JobQueryResponse (Optional fields may also be null).</summary>
    public static readonly Dictionary<string, JsonValueKind> QueryResponse = new()
    {
        ["job_id"] = JsonValueKind.String, ["state"] = JsonValueKind.String, ["error_msg"] = JsonValueKind.Null,
        ["time"] = JsonValueKind.Object, ["job_log"] = JsonValueKind.Object, ["detail"] = JsonValueKind.Object,
    };

    public static readonly Dictionary<string, JsonValueKind> TimeInfo = new()
    {
        ["submit_time"] = JsonValueKind.String, ["start_time"] = JsonValueKind.String, ["end_time"] = JsonValueKind.String,
        ["eligible_time"] = JsonValueKind.String, ["elapsed_time"] = JsonValueKind.String, ["limit_time"] = JsonValueKind.String,
    };

    public static readonly Dictionary<string, JsonValueKind> JobLog = new() { ["stderr"] = JsonValueKind.String, ["stdout"] = JsonValueKind.String };

    public static readonly Dictionary<string, JsonValueKind> JobDetail = new()
    {
        ["job_name"] = JsonValueKind.String, ["user"] = JsonValueKind.String, ["partition"] = JsonValueKind.String,
        ["allocated_cpus"] = JsonValueKind.Number, ["allocated_nodes"] = JsonValueKind.Number, ["node_list"] = JsonValueKind.String,
        ["exit_code"] = JsonValueKind.String, ["work_dir"] = JsonValueKind.String, ["data_source"] = JsonValueKind.String,
        ["account"] = JsonValueKind.String,
    };

    /// <summary>JobCancelResponse.</summary>
    public static readonly Dictionary<string, JsonValueKind> CancelResponse = new() { ["msg"] = JsonValueKind.String };

    /// <summary>DashboardResponse and its parts.</summary>
    public static readonly Dictionary<string, JsonValueKind> Dashboard = new()
    {
        ["job_stats"] = JsonValueKind.Object, ["resource_stats"] = JsonValueKind.Object, ["node_info"] = JsonValueKind.Array,
        ["running_jobs"] = JsonValueKind.Array, ["pending_jobs"] = JsonValueKind.Array,
    };

    public static readonly Dictionary<string, JsonValueKind> JobStats = new()
    {
        ["total"] = JsonValueKind.Number, ["running"] = JsonValueKind.Number, ["pending"] = JsonValueKind.Number,
        ["completed"] = JsonValueKind.Number, ["failed"] = JsonValueKind.Number, ["cancelled"] = JsonValueKind.Number,
    };

    public static readonly Dictionary<string, JsonValueKind> ResourceStats = new()
    {
        ["total_cpus"] = JsonValueKind.Number, ["allocated_cpus"] = JsonValueKind.Number, ["available_cpus"] = JsonValueKind.Number,
        ["utilization_rate"] = JsonValueKind.Number,
    };

    public static readonly Dictionary<string, JsonValueKind> NodeInfo = new()
    {
        ["node_name"] = JsonValueKind.String, ["partition"] = JsonValueKind.String, ["total_cpus"] = JsonValueKind.Number,
        ["allocated_cpus"] = JsonValueKind.Number, ["available_cpus"] = JsonValueKind.Number, ["available"] = JsonValueKind.True,
        ["utilization_rate"] = JsonValueKind.Number,
    };

    public static readonly Dictionary<string, JsonValueKind> JobSummary = new()
    {
        ["job_id"] = JsonValueKind.Number, ["name"] = JsonValueKind.String, ["account"] = JsonValueKind.String, ["state"] = JsonValueKind.String,
        ["allocated_cpus"] = JsonValueKind.Number, ["submit_time"] = JsonValueKind.String, ["start_time"] = JsonValueKind.String,
    };

    /// <summary>The root's service info (api/main.py).</summary>
    public static readonly Dictionary<string, JsonValueKind> ServiceInfo = new()
    {
        ["service"] = JsonValueKind.String, ["version"] = JsonValueKind.String, ["status"] = JsonValueKind.String,
    };
}
