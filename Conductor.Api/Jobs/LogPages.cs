using System.Text;
using Conductor.Api.Output;
using Conductor.Core.Files;
using Conductor.Core.Jobs;

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
    /// <remarks>Through <see cref="JobOutput"/>: the file system, or the job's node (which may be unreachable: <see cref="NodeUnreachableException"/>).</remarks>
    public static async Task<LogChunk> ReadAsync(JobOutput output, Job job, string stream, long offset, int limit, CancellationToken ct)
    {
        var range = await output.ReadAsync(job, stream, offset, limit, ct);
        if (range.Withheld is not null || range.Size == 0) return new LogChunk("", offset, offset, range.Size, range.Modified, range.Withheld);
        var whole = WholeCharacters(range.Bytes);
        return new LogChunk(Encoding.UTF8.GetString(range.Bytes, 0, whole), offset, offset + whole, range.Size, range.Modified);
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
