using System.Text;

namespace Conductor.Api.Jobs;

/// <summary>Reads the last bytes of a job's output file; a missing file reads as empty.</summary>
internal static class LogTail
{
    public static async Task<string> ReadAsync(string? path, int maxBytes, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(path)) return "";
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            var start = Math.Max(0, file.Length - maxBytes);
            file.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[file.Length - start];
            var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
