using Conductor.Core.Jobs;

namespace Conductor.Core.Storage;

/// <summary>
/// One requested state move. <see cref="Attempt"/>, when set, pins the write to the run the
/// caller owns, so a late writer can never finish a later attempt of the same job.
/// </summary>
public sealed record Transition(long JobId, JobState From, JobState To, string Reason)
{
    public string? ErrorMsg { get; init; }
    public int? ExitCode { get; init; }
    public int? Attempt { get; init; }
    public string? Node { get; init; }
}
