using System.Text;
using Conductor.Core.Files;

namespace Conductor.Api.Jobs;

/// <summary>One slice of an output file: the text and the byte offsets that bound it.</summary>
internal sealed record LogChunk(string Content, long Offset, long NextOffset, long Size, DateTime Modified = default, string? Withheld = null);

/// <summary>
/// Reads byte ranges of a job's output file. Offsets are byte offsets into the file, so a client
/// can resume exactly; a chunk never ends inside a UTF-8 sequence (the rest comes with the next
/// page). A file that does not exist yet reads as empty; one that is not a regular file owned by
/// the job's user, or is reached through a link, reads as empty with the reason (<see cref="OutputFile"/>).
/// </summary>
internal static class LogPages
{
    public static async Task<LogChunk> ReadAsync(string? path, int? uid, IReadOnlyList<string> trustedRoots, long offset, int limit, CancellationToken ct)
    {
        using var opened = OutputFile.Open(path, uid, trustedRoots, out var why);
        if (opened is null) return new LogChunk("", offset, offset, 0, Withheld: why);
        var size = opened.Stat.Size;
        if (offset >= size) return new LogChunk("", offset, offset, size, opened.Stat.Modified);
        await using var file = new FileStream(opened.Handle, FileAccess.Read, 1, isAsync: false);
        file.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[(int)Math.Min(limit, size - offset)];
        var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        var whole = WholeCharacters(buffer.AsSpan(0, read));
        return new LogChunk(Encoding.UTF8.GetString(buffer, 0, whole), offset, offset + whole, size, opened.Stat.Modified);
    }

    /// <summary>How many leading bytes end on a character boundary (all of them if the tail is not a cut sequence).</summary>
    private static int WholeCharacters(ReadOnlySpan<byte> bytes)
    {
        // Walk back over at most 3 continuation bytes to the lead byte of the last sequence.
        var i = bytes.Length - 1;
        var back = 0;
        while (i >= 0 && back < 3 && (bytes[i] & 0xC0) == 0x80) { i--; back++; }
        if (i < 0) return bytes.Length;
        var lead = bytes[i];
        var needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        var cut = bytes.Length - i < needed;
        // A page that would be empty after trimming returns the bytes as they are (replacement chars).
        return cut && i > 0 ? i : bytes.Length;
    }
}
