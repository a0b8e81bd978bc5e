namespace Conductor.Core.Jobs;

/// <summary>
/// The five wire states of SCNS-Conductor. Stored as upper-case strings; never add one.
/// </summary>
public enum JobState
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

public static class JobStateNames
{
    public static string ToWire(this JobState state) => state switch
    {
        JobState.Pending => "PENDING",
        JobState.Running => "RUNNING",
        JobState.Completed => "COMPLETED",
        JobState.Failed => "FAILED",
        JobState.Cancelled => "CANCELLED",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParse(string? text, out JobState state)
    {
        foreach (var candidate in Enum.GetValues<JobState>())
        {
            if (string.Equals(candidate.ToWire(), text, StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }
}
