using System.Globalization;

namespace Conductor.Core.Jobs;

/// <summary>
/// A Slurm job array: <c>0-99</c>, <c>1,3,5</c>, <c>0-15:4</c> (step), combined with ',', and an
/// optional <c>%N</c> limiting how many tasks run at once. Each task becomes its own job; the
/// first task's id is the array's id (Slurm's SLURM_ARRAY_JOB_ID).
/// </summary>
public sealed record JobArray(IReadOnlyList<int> TaskIds, int? MaxRunning)
{
    public const int MaxTaskId = 1_000_000;

    public static bool TryParse(string text, int maxTasks, out JobArray? array, out string error)
    {
        array = null;
        error = "";
        var (list, limit) = text.Split('%') switch
        {
            [var l] => (l, (string?)null),
            [var l, var n] => (l, n),
            _ => ("", null),
        };
        int? maxRunning = null;
        if (limit is not null)
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                return Fail(out error, $"'%{limit}' must be a positive number of tasks that may run at once.");
            maxRunning = n;
        }
        var ids = new SortedSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryRange(part, out var first, out var last, out var step))
                return Fail(out error, $"'{part}' is not a task range; write e.g. 0-99, 1,3,5 or 0-15:4.");
            for (long id = first; id <= last; id += step)
            {
                ids.Add((int)id);
                if (ids.Count > maxTasks) return Fail(out error, $"An array may hold at most {maxTasks} tasks.");
            }
        }
        array = new JobArray([.. ids], maxRunning);
        return true;
    }

    private static bool TryRange(string part, out int first, out int last, out int step)
    {
        first = last = 0;
        step = 1;
        var stepParts = part.Split(':');
        if (stepParts.Length > 2 || (stepParts.Length == 2 && (!Number(stepParts[1], out step) || step < 1))) return false;
        var bounds = stepParts[0].Split('-');
        if (bounds.Length > 2 || !Number(bounds[0], out first)) return false;
        last = first;
        if (bounds.Length == 2 && !Number(bounds[1], out last)) return false;
        return last >= first;
    }

    private static bool Number(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= MaxTaskId;

    private static bool Fail(out string error, string message)
    {
        error = message;
        return false;
    }
}
