using System.Diagnostics;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// A worker started without root (here: as nobody, through setpriv) cannot keep accounts apart:
/// it says so at start, runs every job as itself, records that uid, and allocates no account users.
/// </summary>
public sealed class NonRootWorkerTests : IAsyncLifetime
{
    private const int Nobody = 65534;
    private IdleClusterFixture _cluster = null!;
    private CapturedProcess? _worker;

    public async Task InitializeAsync() => _cluster = await ClusterFixture.StartIdleAsync();

    public async Task DisposeAsync()
    {
        if (_worker is not null) await _worker.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task AWorkerThatIsNotRoot_WarnsAtStart_AndRunsEveryAccountsJobsAsItself()
    {
        var node = $"node-{Guid.NewGuid():N}"[..13];
        _worker = StartAsNobody(node);
        await Eventually.Until(() => Registered(node) || _worker.HasExited, TimeSpan.FromSeconds(60), $"the worker registers node {node}");

        var alice = await _cluster.Client.SubmitAsync("id -u", new { account = "alice" });
        var bob = await _cluster.Client.SubmitAsync("sleep 0.5; id -u", new { account = "bob" });

        foreach (var id in new[] { alice, bob })
        {
            var job = await _cluster.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
            job["job_log"]!["stdout"]!.GetValue<string>().Should().Be($"{Nobody}\n", $"{job.ToJsonString()}\n{_worker.Output}");
            (await _cluster.Database.ScalarAsync<int>($"SELECT run_uid FROM jobs WHERE id = {id}")).Should().Be(Nobody);
        }
        _worker.Output.Should().Contain($"The worker runs as uid {Nobody}, not root: it cannot keep accounts apart");
        (await _cluster.Database.ScalarAsync<long>("SELECT count(*) FROM account_users")).Should().Be(0);
    }

    private bool Registered(string node)
    {
        using var db = _cluster.Database.Context();
        return db.Nodes.Any(n => n.Name == node);
    }

    /// <summary>The worker as WorkerProcess starts it, but under nobody's uid and gid, with no supplementary groups.</summary>
    private CapturedProcess StartAsNobody(string node)
    {
        var info = new ProcessStartInfo("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "dotnet", TestEnvironment.WorkerDll])
        {
            WorkingDirectory = _cluster.DataDir,
        };
        info.Environment["HOME"] = _cluster.DataDir;
        info.Environment["ConnectionStrings__Postgres"] = _cluster.Database.ConnectionString;
        info.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        info.Environment["Conductor__Worker__Name"] = node;
        info.Environment["Conductor__Worker__Cpus"] = "2";
        info.Environment["Conductor__Worker__DataDir"] = _cluster.DataDir;
        info.Environment["Conductor__Worker__HeartbeatSeconds"] = "1";
        info.Environment["Conductor__Worker__LeaseSeconds"] = "5";
        return CapturedProcess.Start(info);
    }
}
