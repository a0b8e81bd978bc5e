using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Conductor.Api.Output;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;

namespace Conductor.Api.Jobs;

/// <summary>
/// Streams a job's output as server-sent events: one event per complete line (its id is the
/// byte offset after the line, so <c>Last-Event-ID</c> resumes exactly), polling the file every
/// 200 ms. The job writes its files directly, so once its state is terminal the file is
/// complete: the follower drains it, flushes a trailing partial line and ends with
/// <c>event: end</c> carrying the final state.
///
/// A retry's new attempt writes the file anew: the worker deletes the previous attempt's output
/// before it spawns the new one, and records the new pid only after the spawn. So once the
/// follower sees an attempt with a pid that differs from the one it followed, whatever file is
/// there belongs to that attempt, and it is followed from byte 0; the new attempt's output is
/// never skipped, whatever the timing (no modification times involved).
///
/// The file is read only when it is a regular file owned by the job's user, reached with no link
/// (<see cref="Conductor.Core.Files.OutputFile"/>); otherwise nothing of it is sent, and one
/// <c>event: withheld</c> says why (again whenever the reason changes). Output on a node that
/// cannot be reached now (<see cref="JobOutput"/>) gives one <c>event: unreachable</c> saying so;
/// the follower goes on polling and resumes where it was once the node answers again.
/// </summary>
internal static class LogFollower
{
    private const int ChunkBytes = 64 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static string? PathOf(Job job, string stream) => stream == "stderr" ? job.StderrPath : job.StdoutPath;

    /// <summary>Where the follower is in the file, and what it knows about the attempt writing it.</summary>
    private sealed class Cursor(long offset)
    {
        public long Offset = offset;
        public long LineStart = offset; // byte offset where the buffered partial line begins
        public readonly StringBuilder Partial = new();
        public int Attempt;              // the attempt being followed (0: none spawned yet)
        public string? Withheld;         // the reason last sent in a withheld event
        public string? Unreachable;      // the problem last sent in an unreachable event

        public void Restart() { Offset = LineStart = 0; Partial.Clear(); }
    }

    public static async IAsyncEnumerable<SseItem<string>> FollowAsync(
        JobStore jobs, JobOutput output, long jobId, string stream, long offset, [EnumeratorCancellation] CancellationToken ct)
    {
        var cursor = new Cursor(offset);
        while (!ct.IsCancellationRequested)
        {
            var job = await jobs.GetAsync(jobId, ct);
            if (job is null) yield break;
            // Read the state before the file: output written before the job ended is then never missed.
            var finished = job.State.IsTerminal();
            if (job.Attempt != cursor.Attempt && job.Pid is not null)
            {
                if (cursor.Attempt > 0) cursor.Restart(); // a new attempt: its own, new file
                cursor.Attempt = job.Attempt;
            }
            var (lines, withheld, unreachable) = await ReadNewLinesAsync(output, job, stream, cursor, ct);
            foreach (var line in lines) yield return line;
            if (unreachable != cursor.Unreachable && unreachable is not null) yield return new SseItem<string>(unreachable, "unreachable");
            cursor.Unreachable = unreachable;
            if (withheld != cursor.Withheld && withheld is not null && job.RunUid is not null) yield return new SseItem<string>(withheld, "withheld");
            cursor.Withheld = withheld;
            if (finished)
            {
                foreach (var line in TakeLines(cursor.Partial.Append('\n'), ref cursor.LineStart, force: false))
                    if (line.Data.Length > 0) yield return line;
                yield return new SseItem<string>(EndData(job), "end");
                yield break;
            }
            await Task.Delay(PollInterval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Everything written since the last read, as complete lines (a very long line is cut).</summary>
    private static async Task<(List<SseItem<string>>, string? Withheld, string? Unreachable)> ReadNewLinesAsync(
        JobOutput output, Job job, string stream, Cursor cursor, CancellationToken ct)
    {
        var lines = new List<SseItem<string>>();
        LogChunk chunk;
        do
        {
            try
            {
                chunk = await LogPages.ReadAsync(output, job, stream, cursor.Offset, ChunkBytes, ct);
                if (chunk.Size < cursor.Offset && chunk.Size > 0)
                {
                    // Truncated under us (a new attempt that we have not seen in the database yet).
                    cursor.Restart();
                    chunk = await LogPages.ReadAsync(output, job, stream, 0, ChunkBytes, ct);
                }
            }
            catch (NodeUnreachableException e)
            {
                return (lines, cursor.Withheld, e.Message);
            }
            cursor.Offset = chunk.NextOffset;
            cursor.Partial.Append(chunk.Content);
            lines.AddRange(TakeLines(cursor.Partial, ref cursor.LineStart, force: cursor.Partial.Length > ChunkBytes));
        }
        while (chunk.NextOffset > chunk.Offset);
        return (lines, chunk.Withheld, null);
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
