namespace Conductor.Api.Output;

/// <summary>
/// Where the API reads a job's output (section <c>Conductor:Api:NodeOutput</c>). Nothing set: from
/// the file system, which the API then shares with the workers (one host, or a shared file system
/// as HPC sites have). With <see cref="Url"/> or an entry in <see cref="Nodes"/>: from the node that
/// runs the job, over its signed output channel (Conductor:Node:Secret or SecretFile).
/// </summary>
public sealed class NodeOutputOptions
{
    /// <summary>Every node's channel, <c>{node}</c> replaced by the node name, e.g. <c>https://{node}:8101</c>.</summary>
    public string? Url { get; set; }

    /// <summary>Node name → its channel's base URL (wins over <see cref="Url"/>); <c>local</c>: read the file system.</summary>
    public Dictionary<string, string> Nodes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>PEM file of the CA that issued the nodes' certificates (for https channels); else the system's.</summary>
    public string? CaFile { get; set; }

    /// <summary>How long to wait for a node to accept the connection before the read is a 503.</summary>
    public double ConnectTimeoutSeconds { get; set; } = 3;

    /// <summary>How long one read may take in all.</summary>
    public double TimeoutSeconds { get; set; } = 10;

    /// <summary>The base URL of <paramref name="node"/>'s channel, or null to read the file system.</summary>
    public string? BaseUrlOf(string? node)
    {
        if (string.IsNullOrEmpty(node)) return null;
        var url = Nodes.TryGetValue(node, out var own) ? own : Url?.Replace("{node}", node, StringComparison.Ordinal);
        return string.IsNullOrWhiteSpace(url) || url == "local" ? null : url.TrimEnd('/');
    }
}
