using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;

namespace Conductor.Api.Jobs;

/// <summary>
/// Streams a job's output as server-sent events: one event per complete line (its id is the
/// byte offset after the line, so <c>Last-Event-ID</c> resumes exactly), polling the file every
/// 200 ms. The job writes its files directly, so once its state is terminal the file is
/// complete: the follower drains it, flushes a trailing partial line and ends with
/// <c>event: end</c> carrying the final state.
/// </summary>
internal static class LogFollower
{
    private const int ChunkBytes = 64 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static string? PathOf(Job job, string stream) => stream == "stderr" ? job.StderrPath : job.StdoutPath;

    public static async IAsyncEnumerable<SseItem<string>> FollowAsync(
        JobStore jobs, long jobId, string stream, long offset, [EnumeratorCancellation] CancellationToken ct)
    {
        var partial = new StringBuilder();
        var lineStart = offset; // byte offset where the buffered partial line begins
        while (!ct.IsCancellationRequested)
        {
            var job = await jobs.GetAsync(jobId, ct);
            if (job is null) yield break;
            // Read the state before the file: output written before the job ended is then never missed.
            var finished = job.State.IsTerminal();
            LogChunk chunk;
            do
            {
                chunk = await LogPages.ReadAsync(PathOf(job, stream), offset, ChunkBytes, ct);
                offset = chunk.NextOffset;
                partial.Append(chunk.Content);
                foreach (var line in TakeLines(partial, ref lineStart, force: partial.Length > ChunkBytes))
                    yield return line;
            }
            while (chunk.NextOffset > chunk.Offset);

            if (finished)
            {
                foreach (var line in TakeLines(partial.Append('\n'), ref lineStart, force: false))
                    if (line.Data.Length > 0) yield return line;
                yield return new SseItem<string>(EndData(job), "end");
                yield break;
            }
            await Task.Delay(PollInterval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Removes the complete lines from <paramref name="buffer"/>; with <paramref name="force"/> the remainder too.</summary>
    private static List<SseItem<string>> TakeLines(StringBuilder buffer, ref long lineStart, bool force)
    {
        var items = new List<SseItem<string>>();
        var text = buffer.ToString();
        var start = 0;
        int newline;
        while ((newline = text.IndexOf('\n', start)) >= 0)
        {
            var line = text[start..newline];
            lineStart += Encoding.UTF8.GetByteCount(line) + 1;
            items.Add(Item(line, lineStart));
            start = newline + 1;
        }
        var rest = text[start..];
        if (force && rest.Length > 0)
        {
            lineStart += Encoding.UTF8.GetByteCount(rest);
            items.Add(Item(rest, lineStart));
            rest = "";
        }
        buffer.Clear().Append(rest);
        return items;
    }

    private static SseItem<string> Item(string line, long nextOffset) =>
        new(line.TrimEnd('\r')) { EventId = nextOffset.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static string EndData(Job job) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["job_id"] = JobView.Id(job.Id),
        ["state"] = job.State.ToWire(),
        ["reason"] = job.Reason,
        ["exit_code"] = JobView.ExitCode(job.ExitCode),
    });
}
