using System.Globalization;
using Conductor.Core.Jobs;

namespace Conductor.Api.Jobs;

/// <summary>
/// Conductor's scheduling fields of a submit body: <c>dependency</c> (Slurm syntax),
/// <c>begin_time</c> (ISO 8601; without an offset it means UTC), <c>max_retries</c>,
/// <c>retry_delay</c> (seconds, or 30s / 5m / 2h, or a Slurm time with ':') and
/// <c>retry_backoff</c> (fixed | exponential), <c>array</c> (Slurm's <c>0-99%10</c>), <c>hold</c>
/// (submit held, sbatch -H) and <c>requeue</c> (requeue after NodeFail or Orphaned, sbatch --requeue).
/// </summary>
internal static class SchedulingFields
{
    public const int MaxRetries = 100;

    public static JobSpec Parse(JsonFields f, string path, FieldErrors errors, JobSpec spec, int maxArrayTasks)
    {
        var arrayText = f.StringOrNumber("array", 4096);
        JobArray? array = null;
        if (arrayText is not null && !JobArray.TryParse(arrayText, maxArrayTasks, out array, out var arrayError))
            errors.Add($"{path}.array", arrayError);
        var dependency = f.String("dependency", 1024);
        List<(string Kind, long JobId)> edges = [];
        if (dependency is not null && !JobDependency.TryParse(dependency, out edges, out var why))
            errors.Add($"{path}.dependency", why);
        var backoff = f.String("retry_backoff", 16)?.ToLowerInvariant() ?? RetryBackoffs.Fixed;
        if (backoff is not (RetryBackoffs.Fixed or RetryBackoffs.Exponential))
            errors.Add($"{path}.retry_backoff", "'retry_backoff' must be fixed or exponential.");
        return spec with
        {
            Dependency = string.IsNullOrWhiteSpace(dependency) ? null : dependency,
            Dependencies = edges,
            BeginTime = ParseBeginTime(f.String("begin_time", 64), $"{path}.begin_time", errors),
            MaxRetries = f.Int("max_retries", 0, MaxRetries) ?? 0,
            RetryDelaySeconds = ParseDelay(f.StringOrNumber("retry_delay", 32), $"{path}.retry_delay", errors) ?? 0,
            RetryBackoff = backoff,
            Array = array,
            // Submitted held is a user hold (sbatch -H): the owner releases it.
            Hold = f.Bool("hold") == true ? HoldKinds.User : null,
            Requeue = f.Bool("requeue") ?? false,
        };
    }

    private static DateTime? ParseBeginTime(string? text, string field, FieldErrors errors)
    {
        if (text is null) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            || !text.Contains('T', StringComparison.OrdinalIgnoreCase))
            errors.Add(field, $"'{field}' must be an ISO 8601 date and time such as 2026-12-01T02:00:00Z.");
        // A year such as 0001 or 9999 is a typo, and PostgreSQL or the scheduler's arithmetic would choke on it.
        else if (at.UtcDateTime.Year is < 1970 or >= 2100)
            errors.Add(field, $"'{field}' must lie between 1970 and 2100.");
        else
            return at.UtcDateTime;
        return null;
    }

    private static int? ParseDelay(string? text, string field, FieldErrors errors)
    {
        if (text is null) return null;
        text = text.Trim();
        int? seconds = null;
        if (text.Contains(':') || text.Contains('-'))
            seconds = SlurmTime.TryParseSeconds(text, out var s) ? s ?? 0 : null;
        else if (text.Length > 0)
        {
            var unit = char.ToLowerInvariant(text[^1]);
            var scale = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
            var number = scale == 0 ? text : text[..^1];
            if (scale == 0) scale = 1;
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && (long)n * scale <= 86400)
                seconds = n * scale;
        }
        if (seconds is { } ok && ok <= 86400) return ok;
        errors.Add(field, $"'{field}' must be a delay of at most a day: seconds (30), or 30s, 5m, 2h, or MM:SS / HH:MM:SS.");
        return null;
    }
}
