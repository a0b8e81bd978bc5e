using Conductor.Core.Operations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Stats;

/// <summary>The <c>?window=24h</c> query parameter shared by /stats and /dashboard.</summary>
internal static class StatsWindow
{
    public static readonly TimeSpan Default = TimeSpan.FromHours(24);
    private static readonly TimeSpan Max = TimeSpan.FromDays(366);

    public static bool TryParse(string? text, out TimeSpan window, out ValidationProblem? problem)
    {
        problem = null;
        window = Default;
        if (text is null) return true;
        if (Durations.TryParse(text, out window) && window <= Max) return true;
        problem = Problems.Invalid("window", "'window' must be a duration up to 366d such as 30m, 24h or 7d.");
        return false;
    }
}
