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

    protected virtual IDictionary<string, string> ApiSettings() => new Dictionary<string, string>();

    public WorkerSettings Settings(string? faultPoint = null) =>
        new(Database.ConnectionString, NodeName, DataDir) { Cpus = WorkerCpus, FaultPoint = faultPoint };

    /// <summary>Starts the worker and waits until its node is registered.</summary>
    public async Task<WorkerProcess> StartWorkerAsync(WorkerSettings? settings = null)
    {
        Worker = WorkerProcess.Start(settings ?? Settings());
        var worker = Worker;
        await Eventually.Until(async () => (await Client.GetJsonAsync("/nodes"))["nodes"]!.AsArray().Count > 0 || worker.HasExited,
            ok => ok, TimeSpan.FromSeconds(60), "the worker registers its node");
        if (worker.HasExited) throw new InvalidOperationException("The worker exited at start:\n" + worker.Output);
        return worker;
    }

    public virtual async Task DisposeAsync()
    {
        if (Worker is not null) await Worker.DisposeAsync();
        if (Api is not null) await Api.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
        if (DataDir is not null) KillLeftoverJobs();
    }

    /// <summary>Job processes outlive a killed worker by design; a test run must not leave any behind.</summary>
    private void KillLeftoverJobs()
    {
        foreach (var pidFile in Directory.EnumerateFiles(DataDir, "pid", SearchOption.AllDirectories))
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
