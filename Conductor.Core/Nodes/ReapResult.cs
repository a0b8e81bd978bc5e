namespace Conductor.Core.Nodes;

/// <summary>What one pass of the node reaper did: the nodes it declared DOWN, and the RUNNING jobs of DOWN nodes it ended.</summary>
public sealed record ReapResult(IReadOnlyList<string> NodesMarkedDown, IReadOnlyList<ReapedJob> Jobs);
