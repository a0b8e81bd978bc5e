using System.Text;
using Conductor.Api.Output;
using Conductor.Core.Files;
using Conductor.Core.Jobs;

namespace Conductor.Api.Jobs;

/// <summary>What a job's output file shows, and why there is nothing when it is withheld.</summary>
internal sealed record TailText(string Text, string? Withheld);

/// <summary>
/// SCNS-Conductor's rule for <c>job_log</c>: a file below 1 MiB is returned whole, so a client
/// that polls and prints what is new (SCNS's live-log example) sees every line; a larger one
/// only as its last 1,000 lines, under a line saying so, here found in the file's last
/// <see cref="ApiOptions.LogTailBytes"/>. Only a regular file owned by the job's user, reached
/// with no link (<see cref="OutputFile"/>); a missing file reads as empty. The whole file is
/// <c>GET /jobs/{id}/logs</c>, paged.
/// </summary>
internal static class ScnsLog
{
    public const int WholeBelowBytes = 1024 * 1024;
    public const int TailLines = 1000;
    public static readonly string TruncatedMarker = $"...(only the last {TailLines} lines are shown; GET /jobs/{{id}}/logs has the whole file)...\n";

    /// <remarks>
    /// Through <see cref="JobOutput"/> (the file system or the job's node): a first read of up to
    /// 1 MiB, and for a larger file a second of its tail. A node that cannot be reached gives no
    /// text and says so in place of the reason a file is withheld.
    /// </remarks>
    public static async Task<TailText> ReadAsync(JobOutput output, Job job, string stream, int tailBytes, CancellationToken ct)
    {
        try
        {
            var head = await output.ReadAsync(job, stream, 0, WholeBelowBytes, ct);
            if (head.Withheld is not null) return new TailText("", head.Withheld);
            if (head.Size < WholeBelowBytes) return new TailText(Encoding.UTF8.GetString(head.Bytes), null);
            var start = Math.Max(0, head.Size - Math.Max(tailBytes, 4096));
            var tail = await output.ReadAsync(job, stream, start, (int)Math.Min(int.MaxValue, head.Size - start), ct);
            return new TailText(TruncatedMarker + LastLines(Encoding.UTF8.GetString(tail.Bytes), start > 0), tail.Withheld);
        }
        catch (NodeUnreachableException e)
        {
            return new TailText("", e.Message);
        }
    }

    /// <summary>The last <see cref="TailLines"/> lines; a first line cut by the read window is dropped.</summary>
    private static string LastLines(string text, bool cutAtStart)
    {
        var trailing = text.EndsWith('\n');
        var lines = (trailing ? text[..^1] : text).Split('\n');
        var skip = Math.Max(cutAtStart ? 1 : 0, lines.Length - TailLines);
        var kept = string.Join('\n', lines.Skip(skip));
        return kept.Length > 0 && trailing ? kept + "\n" : kept;
    }
}
