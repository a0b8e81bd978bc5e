namespace Conductor.Tests.Infrastructure;

/// <summary>
/// One test class's cluster: a fresh database, the API in-process, and (optionally) a real
/// worker process with its own data directory.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;
    public ConductorClient Client { get; private set; } = null!;
    public WorkerProcess? Worker { get; private set; }
    private readonly List<WorkerProcess> _workers = [];
    private readonly HashSet<string> _nodes = [];
    public string DataDir { get; private set; } = null!;
    public string NodeName { get; } = $"node-{Guid.NewGuid():N}"[..13];

    protected virtual bool StartWorker => true;
    protected virtual int WorkerCpus => 2;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        DataDir = TestEnvironment.NewScratchDir(GetType().Name);
        Api = new ApiHost(Database.ConnectionString, ApiSettings());
        Client = new ConductorClient(Api.CreateClient());
        if (StartWorker) await StartWorkerAsync();
    }

    public IDictionary<string, string>? ExtraApiSettings { get; init; }

    protected virtual IDictionary<string, string> ApiSettings() => ExtraApiSettings ?? new Dictionary<string, string>();

    public WorkerSettings Settings(string? faultPoint = null) =>
        new(Database.ConnectionString, NodeName, DataDir) { Cpus = WorkerCpus, FaultPoint = faultPoint };

    /// <summary>Starts the worker and waits until its node is registered.</summary>
    public async Task<WorkerProcess> StartWorkerAsync(WorkerSettings? settings = null)
    {
        settings ??= Settings();
        var since = DateTime.UtcNow;
        var worker = Worker = WorkerProcess.Start(settings);
        _workers.Add(worker);
        _nodes.Add(settings.Name);
        await Eventually.Until(async () => await RegisteredSinceAsync(settings.Name, since) || worker.HasExited,
            ok => ok, TimeSpan.FromSeconds(60), $"the worker registers node {settings.Name}");
        if (worker.HasExited) throw new InvalidOperationException("The worker exited at start:\n" + worker.Output);
        return worker;
    }

    private async Task<bool> RegisteredSinceAsync(string node, DateTime since)
    {
        await using var db = Database.Context();
        return db.Nodes.Any(n => n.Name == node && n.RegisteredAt >= since.AddSeconds(-1));
    }

    /// <summary>A cluster of its own for one test (crash tests must not share a node with others).</summary>
    public static async Task<IdleClusterFixture> StartIdleAsync(IDictionary<string, string>? apiSettings = null)
    {
        var cluster = new IdleClusterFixture { ExtraApiSettings = apiSettings };
        await cluster.InitializeAsync();
        return cluster;
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var worker in _workers) await worker.DisposeAsync();
        if (Api is not null) await Api.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
        if (DataDir is not null) KillLeftoverJobs();
        // A killed worker leaves its node's memory cgroup slots; hundreds of them slow the kernel.
        foreach (var node in _nodes) Conductor.Worker.Processes.Cgroups.JobCgroups.RemoveIdleSlotsOf(node);
    }

    /// <summary>Job processes outlive a killed worker by design; a test run must not leave any behind.</summary>
    private void KillLeftoverJobs()
    {
        // Only the spawner's records: a job may leave a forged "pid" file in its own directory.
        var control = Path.Combine(DataDir, "control");
        if (!Directory.Exists(control)) return;
        foreach (var pidFile in Directory.EnumerateFiles(control, "pid", SearchOption.AllDirectories))
        {
            var parts = File.ReadAllText(pidFile).Split(' ');
            if (int.TryParse(parts[0], out var pid) && pid > 1) Mono.Unix.Native.Syscall.kill(-pid, Mono.Unix.Native.Signum.SIGKILL);
        }
    }
}

/// <summary>A cluster whose worker is not started: jobs stay PENDING until a test starts one.</summary>
public sealed class IdleClusterFixture : ClusterFixture
{
    protected override bool StartWorker => false;
}
