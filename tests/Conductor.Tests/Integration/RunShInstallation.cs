using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// A fresh <c>scripts/run.sh</c> installation, as a newcomer starts it, kept away from everything
/// else: its own data directory (CONDUCTOR_RUN_DATA_DIR, a temporary directory), its own ports for
/// PostgreSQL, Redis and the API, and none of the test run's connection strings. It runs the
/// Release build the tests were built with (--no-build).
/// </summary>
internal sealed class RunShInstallation(CapturedProcess process, DirectoryInfo dataDir, int pgPort, int redisPort, int apiPort)
    : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(4);

    public CapturedProcess Process => process;
    public DirectoryInfo DataDir => dataDir;
    public int PgPort => pgPort;
    public int RedisPort => redisPort;
    public int ApiPort => apiPort;
    public Uri ApiUrl => new($"http://127.0.0.1:{ApiPort}");
    public string Output => Process.Output;

    public static RunShInstallation Start(params string[] args)
    {
        var dataDir = Directory.CreateTempSubdirectory("conductor-runsh-");
        // 0755 like a home's .data: the postgres user keeps the cluster there (0700 would move it to /tmp).
        File.SetUnixFileMode(dataDir.FullName, (UnixFileMode)0b111_101_101);
        var (pg, redis, api) = (ApiProcess.FreePort(), ApiProcess.FreePort(), ApiProcess.FreePort());
        var info = new ProcessStartInfo("bash", ["scripts/run.sh", "--no-build", .. args]) { WorkingDirectory = TestEnvironment.RepoRoot };
        IsolateFromTheTestRun(info.Environment, dataDir.FullName);
        info.Environment["CONDUCTOR_RUN_PG_PORT"] = pg.ToString();
        info.Environment["CONDUCTOR_RUN_REDIS_PORT"] = redis.ToString();
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{api}";
        return new RunShInstallation(CapturedProcess.Start(info), dataDir, pg, redis, api);
    }

    /// <summary>
    /// Only what a shell of the operator would have: none of the services' or test.sh's settings,
    /// so the scripts must find this installation through its data directory alone.
    /// </summary>
    public static void IsolateFromTheTestRun(IDictionary<string, string?> environment, string dataDir)
    {
        foreach (var name in environment.Keys.Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                     || k.StartsWith("Conductor__", StringComparison.Ordinal) || k.StartsWith("CONDUCTOR_", StringComparison.Ordinal)
                     || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
            environment.Remove(name);
        environment["CONDUCTOR_RUN_DATA_DIR"] = dataDir;
    }

    /// <summary>Until run.sh prints its "running" banner (the worker has been started).</summary>
    public Task WaitUntilRunningAsync() => Eventually.Until(
        () => Output.Contains("Conductor is running at", StringComparison.Ordinal) || Process.HasExited,
        StartDeadline, "run.sh reports Conductor running");

    /// <summary>The processes run.sh started and that must end with it: its descendants, PostgreSQL and Redis.</summary>
    public IReadOnlyList<int> ProcessesItStarted()
    {
        var descendants = new List<int>();
        var parents = new Queue<int>([Process.Pid]);
        var all = AllPids().ToList();
        while (parents.TryDequeue(out var parent))
            foreach (var pid in all.Where(p => Processes.IsAlive(p) && SafeParentOf(p) == parent))
            {
                descendants.Add(pid);
                parents.Enqueue(pid);
            }
        return [.. descendants, PidFrom(Path.Combine(DataDir.FullName, "pg", "data", "postmaster.pid")),
            PidFrom(Path.Combine(DataDir.FullName, "redis", "redis.pid"))];
    }

    public static IEnumerable<int> AllPids() => Directory.GetDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : -1).Where(pid => pid > 0);

    public HttpClient AdminClient()
    {
        var token = File.ReadAllText(Path.Combine(DataDir.FullName, "api-token")).Trim();
        return new HttpClient { BaseAddress = ApiUrl, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
    }

    /// <summary>What an operator's Ctrl-C does to run.sh (SIGTERM takes the same path), then its exit.</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Process.Pid.ToString()])) await kill.WaitForExitAsync();
        (await Process.WaitForExitAsync(deadline)).Should().BeTrue($"run.sh stops within {deadline.TotalSeconds} s\n{Output}");
    }

    public static bool Listens(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int SafeParentOf(int pid)
    {
        try
        {
            return Processes.ParentOf(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static int PidFrom(string file) => File.Exists(file) ? int.Parse(File.ReadLines(file).First().Trim()) : -1;

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Process.Pid.ToString()])) await kill.WaitForExitAsync();
            if (!await Process.WaitForExitAsync(TimeSpan.FromSeconds(60))) await Process.KillAsync(entireTree: true);
        }
        await Process.DisposeAsync();
        // After a failure half-way: the servers must not outlive the test (no-ops when stopped).
        var lib = new ProcessStartInfo("bash", ["-c", "source scripts/lib.sh && conductor_stop_redis \"$1/redis\" \"$2\"; conductor_stop_postgres \"$1/pg\"",
            "stop", DataDir.FullName, RedisPort.ToString()]) { WorkingDirectory = TestEnvironment.RepoRoot };
        using (var stop = System.Diagnostics.Process.Start(lib)!) await stop.WaitForExitAsync();
        DataDir.Delete(recursive: true);
    }
}
