using Conductor.Core.Jobs;

namespace Conductor.Core.Nodes;

/// <summary>A RUNNING job of a DOWN node, ended as NodeFail: FAILED, or PENDING again when it asked for retries.</summary>
public sealed record ReapedJob(long JobId, string Node, JobState MovedTo);
