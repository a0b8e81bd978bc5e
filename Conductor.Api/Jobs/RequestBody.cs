using System.Text.Json;

namespace Conductor.Api.Jobs;

/// <summary>Reads a JSON body with a size cap, turning oversize or malformed input into field errors.</summary>
internal static class RequestBody
{
    public static async Task<JsonDocument?> ReadAsync(HttpRequest request, int maxBytes, FieldErrors errors, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            errors.Add("body", $"The request body must be at most {maxBytes} bytes.");
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                errors.Add("body", $"The request body must be at most {maxBytes} bytes.");
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            errors.Add("body", $"The request body is not valid JSON: {e.Message}");
            return null;
        }
    }
}
