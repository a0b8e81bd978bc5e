using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Conductor.Cli.Api;

/// <summary>
/// Follows a job's output over <c>GET /jobs/{id}/logs?follow=true</c> (server-sent events: one
/// event per line, its id the byte offset after that line). When the connection drops or the API
/// restarts, it reconnects from the last offset it printed, so no line is lost or repeated; it
/// ends at the <c>end</c> event and returns that event's JSON (the job's final state).
/// </summary>
internal sealed class LogStream(ApiClient client, string jobId, string stream)
{
    public long Offset { get; private set; }

    /// <summary>Lines, as they arrive, go to <paramref name="onLine"/>; a withheld notice to <paramref name="onNotice"/>.</summary>
    public async Task<JsonElement> FollowAsync(long fromOffset, Action<string> onLine, Action<string> onNotice, CancellationToken ct)
    {
        Offset = fromOffset;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                if (await ReadOnceAsync(onLine, onNotice, () => delay = TimeSpan.FromMilliseconds(200), ct) is { } end) return end;
            }
            catch (Exception e) when (e is ApiUnreachableException or IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                // Dropped or refused: the API may be restarting. Resume from Offset below.
            }
            catch (ApiException e) when ((int)e.Status >= 500)
            {
            }
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    /// <returns>The end event's data, or null when the stream stopped before it.</returns>
    private async Task<JsonElement?> ReadOnceAsync(Action<string> onLine, Action<string> onNotice, Action connected, CancellationToken ct)
    {
        var path = $"jobs/{Uri.EscapeDataString(jobId)}/logs?stream={stream}&follow=true&offset={Offset.ToString(CultureInfo.InvariantCulture)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await client.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new ApiException(response.StatusCode, ApiClient.Describe(response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
        connected();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        var data = new StringBuilder();
        string? eventName = null, eventId = null;
        var hasData = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (!hasData) continue;
                var text = data.ToString();
                switch (eventName)
                {
                    case "end":
                        using (var doc = JsonDocument.Parse(text)) return doc.RootElement.Clone();
                    case "withheld":
                        onNotice(text);
                        break;
                    default:
                        // Print first, then advance: a drop between the two repeats nothing, as the offset is the line's end.
                        onLine(text);
                        if (long.TryParse(eventId, NumberStyles.None, CultureInfo.InvariantCulture, out var next)) Offset = next;
                        break;
                }
                data.Clear();
                eventName = eventId = null;
                hasData = false;
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon == 0) continue; // a comment (keep-alive)
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "data":
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                    break;
                case "event": eventName = value; break;
                case "id": eventId = value; break;
            }
        }
        return null;
    }
}
