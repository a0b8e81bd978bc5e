using System.Collections.Concurrent;
using System.Text;
using CliWrap;

namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// The worker's end of one spawner process (<see cref="SpawnerHost"/>), started with CliWrap as
/// <c>setsid &lt;this executable&gt; spawner</c>: sends spawn requests, matches the
/// replies, and completes each job's exit task when the spawner reports the job's end. If the
/// spawner itself dies, requests in flight fail, and the jobs it had started are watched by
/// their pid and start time until they are gone (their exit status is then whatever the spawner
/// managed to write); the launcher starts a new spawner for the next job.
/// </summary>
internal sealed class SpawnerClient
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource<LaunchedProcess>> _requests = new();
    private readonly ConcurrentDictionary<int, (long Ticks, TaskCompletionSource<int?> Exit)> _exits = new();
    private readonly TaskCompletionSource<Stream> _stdin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closeInput = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly IProcessProbe _probe;
    private readonly ILogger _log;
    private readonly string _label;
    private Stream? _input;
    private int _nextId;
    private volatile bool _lost;

    private SpawnerClient(IProcessProbe probe, ILogger log, string label)
    {
        _probe = probe;
        _log = log;
        _label = label;
    }

    public bool IsAlive => !_lost;

    /// <param name="self">How to run the worker's executable; by default this same process's (tests run it from another host).</param>
    public static async Task<SpawnerClient> StartAsync(IProcessProbe probe, ILogger log, CancellationToken ct, string[]? self = null)
    {
        var client = new SpawnerClient(probe, log, "all job users");
        var args = new List<string>(self ?? SelfCommand()) { SpawnerHost.Command };
        var command = Cli.Wrap(Tools.Setsid)
            .WithArguments(args)
            .WithEnvironmentVariables(SpawnerEnvironment.Value)
            .WithWorkingDirectory("/")
            .WithStandardInputPipe(PipeSource.Create(async (stdin, _) =>
            {
                client._stdin.TrySetResult(stdin);
                await client._closeInput.Task;
            }))
            .WithStandardOutputPipe(PipeTarget.Create((stdout, _) =>
                Task.Factory.StartNew(() => client.ReadLoop(stdout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => log.LogWarning("Spawner for {User}: {Line}", client._label, line)))
            .WithValidation(CommandResultValidation.None);
        // No cancellation: the spawner outlives a stopping worker until its jobs have ended.
        var running = command.ExecuteAsync();
        _ = running.Task.ContinueWith(t => client.Lost(t.IsCompletedSuccessfully ? $"exited with code {t.Result.ExitCode}" : "failed to run"),
            TaskScheduler.Default);
        var stdinStream = await client._stdin.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        client._input = stdinStream;
        await client._ready.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        log.LogInformation("Job spawner for {User} started as pid {Pid}", client._label, running.ProcessId);
        return client;
    }

    /// <summary>Starts the job; the returned process's <see cref="LaunchedProcess.Exited"/> completes when it has ended.</summary>
    public async Task<LaunchedProcess> SpawnAsync(SpawnRequest template, CancellationToken ct)
    {
        if (_lost) throw new IOException($"The job spawner for {_label} is gone.");
        var request = template with { Id = Interlocked.Increment(ref _nextId) };
        // The reply and the exit run their continuations on the reading thread, up to the job's
        // next await (a database round trip or the spawn of the next job): a hand-off to the
        // thread pool per message would cost two more thread wake-ups per job. Nothing waits
        // synchronously on this thread's work.
        var reply = new TaskCompletionSource<LaunchedProcess>();
        _requests[request.Id] = reply;
        await _writing.WaitAsync(ct);
        try
        {
            SpawnerProtocol.Send(_input!, w => SpawnerProtocol.Write(w, request));
        }
        catch (IOException e)
        {
            _requests.TryRemove(request.Id, out _);
            Lost($"its input broke ({e.Message})");
            throw new IOException($"The job spawner for {_label} is gone.", e);
        }
        finally
        {
            _writing.Release();
        }
        // Not cancellable once sent: the reply says whether a process now exists.
        return await reply.Task;
    }

    /// <summary>Closes the spawner's input; it exits once its last job has ended.</summary>
    public void Close() => _closeInput.TrySetResult();

    private void ReadLoop(Stream stdout)
    {
        try
        {
            using var reader = SpawnerProtocol.Reader(stdout);
            while (true)
            {
                switch (reader.ReadByte())
                {
                    case SpawnerProtocol.Ready:
                        reader.ReadInt32();
                        _ready.TrySetResult();
                        break;
                    case SpawnerProtocol.Started:
                    {
                        var id = reader.ReadInt32();
                        var pid = reader.ReadInt32();
                        var ticks = reader.ReadInt64();
                        var exit = new TaskCompletionSource<int?>();
                        _exits[pid] = (ticks, exit);
                        if (_requests.TryRemove(id, out var reply)) reply.TrySetResult(new LaunchedProcess(pid, ticks, exit.Task));
                        break;
                    }
                    case SpawnerProtocol.Failed:
                    {
                        var id = reader.ReadInt32();
                        var message = reader.ReadString();
                        if (_requests.TryRemove(id, out var reply)) reply.TrySetException(new InvalidOperationException(message));
                        break;
                    }
                    case SpawnerProtocol.Exited:
                    {
                        var pid = reader.ReadInt32();
                        var code = reader.ReadInt32();
                        if (_exits.TryRemove(pid, out var entry)) entry.Exit.TrySetResult(code);
                        break;
                    }
                    case var other:
                        throw new InvalidDataException($"Unexpected message {other} from the job spawner.");
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException or ObjectDisposedException)
        {
            Lost(e is EndOfStreamException ? "closed its output" : e.Message);
        }
    }

    private void Lost(string why)
    {
        if (_lost) return;
        _lost = true;
        _ready.TrySetException(new IOException($"The job spawner for {_label} {why} before it was ready."));
        foreach (var id in _requests.Keys)
            if (_requests.TryRemove(id, out var reply))
                reply.TrySetException(new IOException($"The job spawner for {_label} {why}; the job may or may not have started."));
        if (_exits.IsEmpty) return;
        _log.LogWarning("Job spawner for {User} {Why}; watching its {Count} jobs by pid until they end", _label, why, _exits.Count);
        foreach (var (pid, entry) in _exits)
            _ = WatchAsync(pid, entry.Ticks, entry.Exit);
    }

    private async Task WatchAsync(int pid, long ticks, TaskCompletionSource<int?> exit)
    {
        while (!exit.Task.IsCompleted && _probe.IsSameProcess(pid, ticks, _probe.BootId))
            await Task.Delay(200);
        _exits.TryRemove(pid, out _);
        exit.TrySetResult(null);
    }

    /// <summary>How to run this same executable: the apphost itself, or <c>dotnet Conductor.Worker.dll</c>.</summary>
    private static string[] SelfCommand()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The worker's executable path is unknown.");
        var assembly = typeof(SpawnerHost).Assembly.Location;
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, assembly] : [host];
    }

    /// <summary>The spawner needs nothing of the worker's environment (connection strings, secrets) but the runtime's settings.</summary>
    private static readonly Lazy<Dictionary<string, string?>> SpawnerEnvironment = new(() =>
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            env[key] = key is "PATH" or "LANG" or "LC_ALL" or "TZ" || key.StartsWith("DOTNET_", StringComparison.Ordinal)
                ? Environment.GetEnvironmentVariable(key)
                : null;
        return env;
    });
}
