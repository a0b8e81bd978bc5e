using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// The spawner process (<c>Conductor.Worker spawner</c>): a small, long-lived child of the worker,
/// one for every job user, that starts the jobs and is their parent. The worker writes spawn
/// requests to its stdin and reads replies from its stdout (<see cref="SpawnerProtocol"/>).
///
/// Under a root worker it stays root, non-dumpable, and never shares a uid with a job: a job's
/// <c>kill -9 -1</c> or ptrace cannot reach it. For each request its spawning thread (not the main
/// thread, which kill(2) is checked against) enters the job's cgroups, takes the job user's ids
/// for the moment of one posix_spawn (<see cref="ThreadCredentials"/>) and comes back: the job's
/// shell starts as its user, with no_new_privs, pinned to its cores and inside its cgroups, in a
/// new session (vfork: no copy of any memory, no exec of setsid, setpriv or taskset). Then it
/// writes the job's pid record. As their parent it reaps the jobs and writes each one's exit
/// status. It runs in a session of its own and outlives a worker that dies: it goes on reaping
/// and writing exit statuses, which the next worker's recovery reads, and exits once its input is
/// closed and its last job has ended. Under a non-root worker it switches nothing.
/// </summary>
public static class SpawnerHost
{
    public const string Command = "spawner";

    public static int Run(string[] args)
    {
        if (args.Length > 0) throw new ArgumentException($"Unknown spawner option {args[0]}.");
        var root = LibC.IsRoot;
        if (root) LibC.ForbidDumps();
        LibC.ForbidNewPrivileges();
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        using var output = Console.OpenStandardOutput();
        var spawner = new Spawner(output, bootId, root);
        spawner.SendReady();
        var reaper = new Thread(spawner.ReapLoop) { Name = "reaper", IsBackground = false };
        reaper.Start();
        var spawning = new Thread(() =>
        {
            LibC.ForbidNewPrivileges(); // per thread: the jobs are forked from this one
            using var input = SpawnerProtocol.Reader(Console.OpenStandardInput());
            while (TryRead(input) is { } request) spawner.Spawn(request);
        }) { Name = "spawning", IsBackground = false };
        spawning.Start();
        spawning.Join();
        spawner.CloseInput();
        reaper.Join();
        return 0;
    }

    private static SpawnRequest? TryRead(BinaryReader input)
    {
        try
        {
            return SpawnerProtocol.ReadRequest(input);
        }
        catch (EndOfStreamException)
        {
            return null; // the worker closed our input or died
        }
    }

    /// <summary>
    /// Spawns and reaps. One lock orders everything: a process is spawned, its pid file written,
    /// its exit file registered and <c>Started</c> sent before the reaper may reap it, so a job
    /// that ends at once still has its pid file and its <c>Exited</c> comes after <c>Started</c>.
    /// </summary>
    private sealed class Spawner(Stream output, string bootId, bool root)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, string> _exitFiles = [];
        private readonly ReaperSignal _spawned = new();
        private bool _inputClosed;
        private bool _outputBroken;

        public void SendReady()
        {
            lock (_gate)
                Send(w =>
                {
                    w.Write(SpawnerProtocol.Ready);
                    w.Write(Environment.ProcessId);
                });
        }

        public void Spawn(SpawnRequest r)
        {
            lock (_gate)
            {
                int pid;
                long before, after;
                try
                {
                    if (root ? r.Uid < 0 : r.Uid >= 0)
                        throw new ArgumentException(root ? "Refused: a job never runs as root, and no user was given." : "The spawner is not root: it cannot start a job as another user.");
                    (pid, before, after) = JobStart.Run(r);
                }
                catch (Exception e) when (e is Win32Exception or ArgumentException or IOException)
                {
                    Send(w =>
                    {
                        w.Write(SpawnerProtocol.Failed);
                        w.Write(r.Id);
                        w.Write(e.Message);
                    });
                    return;
                }
                // The child's start time was taken between the two readings of the same clock: when
                // both fall in one tick, that tick is it. Else it is read from /proc, which waits
                // until the child's exec is through (a sleep and a wake-up of this thread).
                var ticks = before == after ? before : StartTicks(pid);
                TryWrite(r.PidFile, $"{pid} {ticks} {bootId}\n");
                _exitFiles[pid] = r.ExitStatusFile;
                Send(w =>
                {
                    w.Write(SpawnerProtocol.Started);
                    w.Write(r.Id);
                    w.Write(pid);
                    w.Write(ticks);
                });
            }
            _spawned.Set();
        }

        public void CloseInput()
        {
            lock (_gate) _inputClosed = true;
            _spawned.Set();
        }

        public void ReapLoop()
        {
            while (true)
            {
                if (LibC.WaitAnyExited() is not { } pid)
                {
                    lock (_gate)
                        if (_inputClosed) return; // no children and no more to come
                    _spawned.Wait();
                    continue;
                }
                lock (_gate)
                {
                    var code = LibC.Reap(pid);
                    if (!_exitFiles.Remove(pid, out var file)) continue;
                    TryWrite(file, $"{code}\n");
                    Send(w =>
                    {
                        w.Write(SpawnerProtocol.Exited);
                        w.Write(pid);
                        w.Write(code);
                    });
                }
            }
        }

        /// <summary>The child's start time, read while it cannot have been reaped yet (it may be a zombie); 0 if unknown.</summary>
        private static long StartTicks(int pid)
        {
            try
            {
                return ProcProcessProbe.ParseStartTicks(File.ReadAllText($"/proc/{pid}/stat"), zombies: true) ?? 0;
            }
            catch (IOException)
            {
                return 0; // unknown: recovery then cannot confirm it is the same process
            }
        }

        private static void TryWrite(string path, string content)
        {
            try
            {
                File.WriteAllText(path, content);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"could not write {path}: {e.Message}");
            }
        }

        /// <summary>Writes one message; the caller holds the lock.</summary>
        private void Send(Action<BinaryWriter> message)
        {
            if (_outputBroken) return;
            try
            {
                SpawnerProtocol.Send(output, message);
            }
            catch (IOException)
            {
                _outputBroken = true; // the worker is gone; its successor recovers from the files
            }
        }
    }

    /// <summary>
    /// Wakes the reaper when it has no child to wait for. A SemaphoreSlim spins before it blocks
    /// (some 65 sched_yield calls each time the reaper ran out of children, i.e. once per short
    /// job, about 2 % of a core); Monitor.Wait blocks at once.
    /// </summary>
    private sealed class ReaperSignal
    {
        private readonly object _gate = new();
        private bool _set;

        public void Set()
        {
            lock (_gate)
            {
                _set = true;
                Monitor.Pulse(_gate);
            }
        }

        public void Wait()
        {
            lock (_gate)
            {
                while (!_set) Monitor.Wait(_gate);
                _set = false;
            }
        }
    }
}
