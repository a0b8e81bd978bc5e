namespace Conductor.Core.Files;

/// <summary>
/// A byte range of a job's output file, with the file's size and modification time then, or
/// empty with the reason it is withheld (<see cref="OutputFile"/>; a missing file is empty with no reason).
/// </summary>
public sealed record OutputRange(byte[] Bytes, long Offset, long Size, DateTime Modified, string? Withheld)
{
    public static OutputRange Empty(long offset, string? withheld) => new([], offset, 0, default, withheld);

    /// <summary>Reads up to <paramref name="limit"/> bytes from <paramref name="offset"/> of the file the API may serve.</summary>
    public static async Task<OutputRange> ReadAsync(string? path, int? uid, IReadOnlyList<string> trustedRoots, long offset, int limit, CancellationToken ct)
    {
        using var opened = OutputFile.Open(path, uid, trustedRoots, out var why);
        if (opened is null) return Empty(offset, why);
        var size = opened.Stat.Size;
        if (offset >= size || limit <= 0) return new OutputRange([], offset, size, opened.Stat.Modified, null);
        await using var file = new FileStream(opened.Handle, FileAccess.Read, 1, isAsync: false);
        file.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[(int)Math.Min(limit, size - offset)];
        var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        return new OutputRange(read == buffer.Length ? buffer : buffer[..read], offset, size, opened.Stat.Modified, null);
    }
}
