namespace Conductor.Api.Output;

/// <summary>The node that holds a job's output did not answer (or refused the API): the read cannot be served now.</summary>
public sealed class NodeUnreachableException(string node, string reason, Exception? inner = null)
    : Exception($"The output is on node {node}, which cannot be reached now: {reason}", inner)
{
    public string Node { get; } = node;
}
