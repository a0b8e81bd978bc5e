using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Conductor.Worker.Execution.Spawning;

/// <summary>
/// The spawner process (<c>Conductor.Worker spawner [--user NAME --uid N --gid N]</c>): a small,
/// long-lived child of the worker, one per Unix user jobs run as, that starts the jobs and is
/// their parent. The worker writes spawn requests to its stdin and reads replies from its stdout
/// (<see cref="SpawnerProtocol"/>).
///
/// Started as root, it first drops to the job user for good (groups, gid, uid, no_new_privs), so
/// every job inherits those without an exec of setpriv. For each request it pins its own thread
/// to the job's CPUs and posix_spawns the job's shell in a new session (vfork: no copy of any
/// memory, and no exec of setsid or taskset either), then writes the job's pid file. As their
/// parent it reaps the jobs and writes each one's exit status file. It runs in a session of its
/// own and outlives a worker that dies: it goes on reaping and writing exit statuses, which the
/// next worker's recovery reads, and exits once its input is closed and its last job has ended.
/// </summary>
public static class SpawnerHost
{
    public const string Command = "spawner";

    public static int Run(string[] args)
    {
        var options = Parse(args);
        if (options.User is { } user) LibC.DropPrivileges(user, options.Uid, options.Gid);
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        using var output = Console.OpenStandardOutput();
        var spawner = new Spawner(output, bootId);
        spawner.SendReady();
        var reaper = new Thread(spawner.ReapLoop) { Name = "reaper", IsBackground = false };
        reaper.Start();
        using (var input = SpawnerProtocol.Reader(Console.OpenStandardInput()))
        {
            while (TryRead(input) is { } request) spawner.Spawn(request);
        }
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

    private sealed record Options(string? User, uint Uid, uint Gid);

    private static Options Parse(string[] args)
    {
        string? user = null;
        uint uid = 0, gid = 0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--user": user = args[i + 1]; break;
                case "--uid": uid = uint.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--gid": gid = uint.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown spawner option {args[i]}.");
            }
        }
        if (user is not null && (uid == 0 || gid == 0)) throw new ArgumentException("A spawner never drops to root: --uid and --gid must be non-zero.");
        return new Options(user, uid, gid);
    }

    /// <summary>
    /// Spawns and reaps. One lock orders everything: a process is spawned, its pid file written,
    /// its exit file registered and <c>Started</c> sent before the reaper may reap it, so a job
    /// that ends at once still has its pid file and its <c>Exited</c> comes after <c>Started</c>.
    /// </summary>
    private sealed class Spawner(Stream output, string bootId)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, string> _exitFiles = [];
        private readonly SemaphoreSlim _spawned = new(0);
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
                    LibC.SetThreadAffinity(r.Cpus);
                    before = LibC.BootTimeTicks();
                    pid = LibC.Spawn(r.Program, r.Argv, r.Environment, r.WorkingDirectory, r.LogFile);
                    after = LibC.BootTimeTicks();
                }
                catch (Exception e) when (e is Win32Exception or ArgumentException)
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
            _spawned.Release();
        }

        public void CloseInput()
        {
            lock (_gate) _inputClosed = true;
            _spawned.Release();
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
}
