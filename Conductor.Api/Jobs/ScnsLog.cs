using System.Text;
using Conductor.Core.Files;

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

    public static async Task<TailText> ReadAsync(string? path, int? uid, IReadOnlyList<string> trustedRoots, int tailBytes, CancellationToken ct)
    {
        using var opened = OutputFile.Open(path, uid, trustedRoots, out var why);
        if (opened is null) return new TailText("", why);
        await using var file = new FileStream(opened.Handle, FileAccess.Read, 1, isAsync: false);
        var size = opened.Stat.Size;
        var whole = size < WholeBelowBytes;
        var start = whole ? 0 : Math.Max(0, size - Math.Max(tailBytes, 4096));
        file.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[size - start];
        var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return new TailText(whole ? text : TruncatedMarker + LastLines(text, start > 0), null);
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
