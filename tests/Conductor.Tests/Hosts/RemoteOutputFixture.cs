using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Hosts;

/// <summary>
/// A cluster whose API reads the worker's job output over the worker's signed output channel
/// (as for a node without a shared file system), plus a node "ghost" whose channel nobody answers.
/// </summary>
public sealed class RemoteOutputFixture : ClusterFixture
{
    public const string Secret = "test-node-secret-0123456789abcdef0123456789";
    public const string GhostNode = "ghost-node";
    public int OutputPort { get; } = ApiProcess.FreePort();

    protected override bool StartWorker => false;

    protected override IDictionary<string, string> ApiSettings() => new Dictionary<string, string>
    {
        ["Conductor:Node:Secret"] = Secret,
        [$"Conductor:Api:NodeOutput:Nodes:{NodeName}"] = $"http://127.0.0.1:{OutputPort}",
        // TEST-NET-1 (RFC 5737): routed nowhere, so a connection is never answered.
        [$"Conductor:Api:NodeOutput:Nodes:{GhostNode}"] = "http://192.0.2.1:8101",
        ["Conductor:Api:NodeOutput:ConnectTimeoutSeconds"] = "2",
        ["Conductor:Api:NodeOutput:TimeoutSeconds"] = "4",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await StartWorkerAsync(Settings() with
        {
            Extra = new()
            {
                ["Conductor__Node__Secret"] = Secret,
                ["Conductor__Worker__Output__Listen"] = $"http://127.0.0.1:{OutputPort}",
            },
        });
    }
}
