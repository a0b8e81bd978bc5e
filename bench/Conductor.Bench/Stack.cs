using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Conductor.Bench;

/// <summary>
/// The real services for one scenario: a fresh database, the API and (optionally) a worker, as
/// separate processes built in Release, talking to the PostgreSQL and Redis of scripts/bench.sh.
/// </summary>
public sealed class Stack : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    public string Database { get; } = $"conductor_b_{Guid.NewGuid():N}"[..26];
    public string DataDir { get; }
    public string ApiUrl { get; } = "http://127.0.0.1:18080";
    public HttpClient Http { get; }
    public Process? Worker { get; private set; }
    public System.Collections.Concurrent.ConcurrentQueue<string> WorkerLog { get; } = new();
    public Process? Api { get; private set; }
    public NpgsqlDataSource Db { get; }
    public static string Root { get; } = FindRoot();
    /// <summary>scripts/bench.sh's service role (with its password; no superuser, CREATEDB for one database per scenario).</summary>
    public static string AdminConnectionString => Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")!;
    public static string Redis => Environment.GetEnvironmentVariable("ConnectionStrings__Redis")!;
    public string ConnectionString => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Database, MaxPoolSize = 100 }.ConnectionString;

    private Stack()
    {
        DataDir = Path.Combine(Root, ".data", "bench", Database);
        Directory.CreateDirectory(DataDir);
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(ApiUrl) };
        Db = NpgsqlDataSource.Create(ConnectionString);
    }

    public static async Task<Stack> StartAsync(bool worker = true, Dictionary<string, string>? workerEnv = null, Dictionary<string, string>? apiEnv = null)
    {
        var stack = new Stack();
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand($"CREATE DATABASE {stack.Database}", admin).ExecuteNonQueryAsync();
        }
        var apiSettings = new Dictionary<string, string> { ["ASPNETCORE_URLS"] = stack.ApiUrl, ["LOG_LEVEL"] = "Warning" };
        foreach (var (k, v) in apiEnv ?? []) apiSettings[k] = v;
        stack.Api = stack.Spawn("Conductor.Api", apiSettings);
        // Its own API, not a leftover on the same port: the process must still be running.
        await stack.WaitAsync(async () => !stack.Api.HasExited && (await stack.Http.GetAsync("/health")).IsSuccessStatusCode, "the API answers");
        if (stack.Api.HasExited) throw new InvalidOperationException("The API exited at start (is port 18080 taken?)");
        if (worker) await stack.StartWorkerAsync(workerEnv);
        return stack;
    }

    public async Task StartWorkerAsync(Dictionary<string, string>? env = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Conductor__Worker__Name"] = "bench-node", ["Conductor__Worker__Cpus"] = Environment.ProcessorCount.ToString(),
            ["Conductor__Worker__DataDir"] = DataDir, ["LOG_LEVEL"] = "Warning",
        };
        foreach (var (k, v) in env ?? []) settings[k] = v;
        Worker = Spawn("Conductor.Worker", settings, WorkerLog);
        await WaitAsync(async () => (await Http.GetFromJsonAsync<JsonNode>("/nodes"))!["nodes"]!.AsArray().Count > 0, "the worker registers");
    }

    public void KillWorker()
    {
        Worker?.Kill();
        Worker?.WaitForExit();
    }

    public void KillApi()
    {
        Api?.Kill();
        Api?.WaitForExit();
    }

    private Process Spawn(string project, Dictionary<string, string> env, System.Collections.Concurrent.ConcurrentQueue<string>? log = null)
    {
        // scripts/bench.sh publishes them (ReadyToRun) into BENCH_BIN_DIR; else the Release build.
        var dll = Environment.GetEnvironmentVariable("BENCH_BIN_DIR") is { Length: > 0 } published
            ? Path.Combine(published, project, project + ".dll")
            : Path.Combine(Root, project, "bin", "Release", "net10.0", project + ".dll");
        var info = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DataDir };
        info.Environment["ConnectionStrings__Postgres"] = ConnectionString;
        info.Environment["ConnectionStrings__Redis"] = Redis;
        foreach (var (k, v) in env) info.Environment[k] = v;
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) log?.Enqueue(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) log?.Enqueue(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    public async Task WaitAsync(Func<Task<bool>> condition, string what, double seconds = 120, int pollMs = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}");
            await Task.Delay(pollMs);
        }
    }

    /// <summary>
    /// Runs <paramref name="jobs"/> trivial jobs through the whole stack, not measured, and waits
    /// until the API and the worker are idle. A long-lived installation has its pools open and its
    /// hot paths compiled at tier 1; right after start the runtime re-compiles them in the
    /// background (see Scenarios.Submission.WarmUpAsync: about half a core for several seconds), which would
    /// otherwise be charged to the first seconds of the measurement.
    /// </summary>
    public async Task WarmUpAsync(int jobs)
    {
        await Scenarios.Submitter.SubmitAsync(Http, jobs, 8, "true");
        await WaitAsync(async () => await UnfinishedAsync() == 0, $"{jobs} warm-up jobs finish", 300);
        await WaitUntilIdleAsync(Api!);
        if (Worker is not null) await WaitUntilIdleAsync(Worker);
    }

    /// <summary>Until the process used under 5 % of a core over half a second (at most 20 s).</summary>
    public static async Task WaitUntilIdleAsync(Process process)
    {
        var deadline = Stopwatch.StartNew();
        var last = process.TotalProcessorTime;
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(500);
            process.Refresh();
            var now = process.TotalProcessorTime;
            if ((now - last).TotalMilliseconds < 25) return;
            last = now;
        }
    }

    /// <summary>0 when no job is PENDING or RUNNING: an index probe (ix_jobs_state_id), cheap enough to poll.</summary>
    public Task<long> UnfinishedAsync() =>
        ScalarAsync($"{PgSnapshot.BenchTag} SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state IN ('PENDING', 'RUNNING') LIMIT 1) s");

    public async Task<long> ScalarAsync(string sql)
    {
        await using var cmd = Db.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public async Task<string> TextAsync(string sql)
    {
        await using var cmd = Db.CreateCommand(sql);
        return Convert.ToString(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var cmd = Db.CreateCommand(sql);
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Resident set size of a process in MB, from /proc.</summary>
    public static double RssMb(Process p)
    {
        var line = File.ReadLines($"/proc/{p.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Conductor.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes.Where(p => !p.HasExited)) p.Kill(entireProcessTree: true);
        foreach (var p in _processes) await p.WaitForExitAsync();
        Http.Dispose();
        await Db.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        // FORCE may not end a backend of another role (an autovacuum worker runs as the bootstrap
        // superuser): such a refusal, or a database still in use, is waited out.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", admin).ExecuteNonQueryAsync();
                break;
            }
            catch (PostgresException e) when (e.SqlState is "42501" or "55006" && attempt < 60)
            {
                await Task.Delay(500);
            }
        }
        // Not deleted here: deleting thousands of job directories right before the next scenario
        // slowed every file the next stack's worker, spawner and jobs created (worker CPU per job
        // up by half; ext4 with online discard on this machine's virtual disk). scripts/bench.sh
        // deletes them all once the suite is done.
    }
}
