using System.Text;
using Conductor.Core.Files;

namespace Conductor.Api.Jobs;

/// <summary>The last bytes of a job's output file, and why there is nothing when it is withheld.</summary>
internal sealed record TailText(string Text, string? Withheld);

/// <summary>
/// Reads the last bytes of a job's output file: only a regular file owned by the job's user,
/// reached with no link (<see cref="OutputFile"/>); a missing file reads as empty.
/// </summary>
internal static class LogTail
{
    public static async Task<TailText> ReadAsync(string? path, int? uid, IReadOnlyList<string> trustedRoots, int maxBytes, CancellationToken ct)
    {
        using var opened = OutputFile.Open(path, uid, trustedRoots, out var why);
        if (opened is null) return new TailText("", why);
        await using var file = new FileStream(opened.Handle, FileAccess.Read, 1, isAsync: false);
        var size = opened.Stat.Size;
        var start = Math.Max(0, size - maxBytes);
        file.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[size - start];
        var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        return new TailText(Encoding.UTF8.GetString(buffer, 0, read), null);
    }
}
