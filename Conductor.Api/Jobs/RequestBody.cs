using System.Buffers;
using System.Text.Json;

namespace Conductor.Api.Jobs;

/// <summary>Reads a JSON body with a size cap, turning oversize (<see cref="FieldErrors.TooLarge"/>), malformed or non-text input into field errors.</summary>
internal static class RequestBody
{
    public static async Task<JsonDocument?> ReadAsync(HttpRequest request, int maxBytes, FieldErrors errors, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            errors.AddTooLarge(maxBytes);
            return null;
        }
        ReadOnlyMemory<byte>? body;
        try
        {
            body = await ReadAllAsync(request.Body, request.ContentLength, maxBytes, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body = null; // Kestrel's own cap, below ours
        }
        if (body is null)
        {
            errors.AddTooLarge(maxBytes);
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Value, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            errors.Add("body", $"The request body is not valid JSON: {e.Message}");
            return null;
        }
        if (JsonText.Check(body.Value.Span, document.RootElement, errors)) return document;
        document.Dispose();
        return null;
    }

    /// <summary>
    /// The whole body, or null past <paramref name="maxBytes"/>. Submits are hot and small: with a
    /// Content-Length the body lands in one array of its size; only a chunked body of unknown
    /// length is collected in pieces (through a pooled buffer).
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadAllAsync(Stream body, long? length, int maxBytes, CancellationToken ct)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(length is { } n ? (int)Math.Min(n + 1, 81920) : 81920);
        try
        {
            using var buffer = new MemoryStream(length is { } exact ? (int)exact : 0);
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes) return null;
                buffer.Write(chunk, 0, read);
            }
            return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
