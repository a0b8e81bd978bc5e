using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Conductor.Bench;

/// <summary>
/// The .NET runtime's own counters of one service process (the "System.Runtime" EventCounters,
/// as dotnet-counters shows them), read over an EventPipe session during a measured run:
/// bytes allocated, garbage collections, thread-pool work items, monitor lock contentions.
/// These are reported once a second as the increment since the last report; a report counts
/// when it falls in the measured window (<see cref="MarkStart"/> .. <see cref="MarkEnd"/> plus
/// one interval), so at most a second of idle time at either edge is counted. The session
/// costs the process one small event per counter per second.
/// </summary>
public sealed class RuntimeCounters : IAsyncDisposable
{
    /// <summary>The counters summed, by the names the figures use.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["alloc-rate"] = "allocated bytes",
        ["gen-0-gc-count"] = "gen-0 GCs",
        ["gen-1-gc-count"] = "gen-1 GCs",
        ["gen-2-gc-count"] = "gen-2 GCs",
        ["threadpool-completed-items-count"] = "thread-pool work items",
        ["monitor-lock-contention-count"] = "lock contentions",
        ["exception-count"] = "exceptions",
    };

    private readonly EventPipeSession _session;
    private readonly Task _reading;
    private readonly ConcurrentQueue<(DateTime At, string Name, double Increment)> _reports = new();
    private DateTime _start = DateTime.MaxValue, _end = DateTime.MaxValue;

    private RuntimeCounters(int pid)
    {
        var provider = new EventPipeProvider("System.Runtime", EventLevel.Informational, 0,
            new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
        _session = new DiagnosticsClient(pid).StartEventPipeSession([provider], requestRundown: false);
        var source = new EventPipeEventSource(_session.EventStream);
        source.Dynamic.All += OnEvent;
        _reading = Task.Run(source.Process);
    }

    /// <summary>Starts a session on the process, or null when it cannot be reached (then the figures are left out).</summary>
    public static RuntimeCounters? TryStart(Process? process)
    {
        if (process is null || process.HasExited) return null;
        try
        {
            return new RuntimeCounters(process.Id);
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or TimeoutException)
        {
            Console.WriteLine($"no EventPipe session on pid {process.Id}: {e.Message}");
            return null;
        }
    }

    public void MarkStart() => _start = DateTime.UtcNow;

    public void MarkEnd() => _end = DateTime.UtcNow;

    /// <summary>Each counter's total over the measured window (call at least a second after <see cref="MarkEnd"/>).</summary>
    public Dictionary<string, double> Totals()
    {
        var until = _end.AddSeconds(1.2);
        return _reports.Where(r => r.At > _start && r.At <= until)
            .GroupBy(r => r.Name).ToDictionary(g => Names[g.Key], g => g.Sum(r => r.Increment));
    }

    private void OnEvent(TraceEvent e)
    {
        if (e.EventName != "EventCounters") return;
        if (e.PayloadValue(0) is not IDictionary<string, object> outer || outer["Payload"] is not IDictionary<string, object> fields) return;
        if (fields.TryGetValue("Name", out var name) && name is string n && Names.ContainsKey(n)
            && fields.TryGetValue("Increment", out var increment))
            _reports.Enqueue((e.TimeStamp.ToUniversalTime(), n, Convert.ToDouble(increment, System.Globalization.CultureInfo.InvariantCulture)));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is ServerNotAvailableException or EndOfStreamException or IOException)
        {
            // The process ended first: its stream is closed already.
        }
        try
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or IOException or EndOfStreamException)
        {
            // A stream that did not end cleanly: the totals are read already.
        }
        _session.Dispose();
    }
}

/// <summary>
/// Thread wake-ups of a process: voluntary plus involuntary context switches of each of its
/// threads (/proc/PID/task/TID/status), by thread. Diffed thread by thread, so a thread that
/// exits between two readings is not counted (its switches are lost with it), and one that
/// started in between counts whole.
/// </summary>
public static class ThreadWakeups
{
    public static Dictionary<int, long> Read(int pid)
    {
        var threads = new Dictionary<int, long>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    long switches = 0;
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                            || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            switches += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    threads[int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture)] = switches;
                }
                catch (IOException)
                {
                    // The thread exited while being read.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        return threads;
    }

    /// <summary>The switches since <paramref name="before"/> of the threads alive now.</summary>
    public static long Since(Dictionary<int, long> before, Dictionary<int, long> now) =>
        now.Sum(t => t.Value - before.GetValueOrDefault(t.Key));
}
