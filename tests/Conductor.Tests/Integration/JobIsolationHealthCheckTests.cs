using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// <c>health-check</c> says whether the worker can keep accounts apart: a worker that is not
/// root (its job directories belong to another user) runs every account's jobs as itself: WARNING.
/// </summary>
public sealed class JobIsolationHealthCheckTests(ListeningApiFixture ops) : IClassFixture<ListeningApiFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await ops.TruncateAsync();
        await Seed.NodeAsync(ops.Database, "n1", cpus: 4);
        await Seed.RunningJobAsync(ops.Database, "n1", 0);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ARootWorker_IsOk_SayingEachAccountRunsAsItsOwnUser()
    {
        var dataDir = TestEnvironment.NewScratchDir("isolation-root");
        Directory.CreateDirectory(Path.Combine(dataDir, "jobs"));

        var run = await OperationsCommand.RunAsync(ops.Database.ConnectionString, dataDir, ops.ApiUrl, ["health-check"]);

        run.Stdout.Should().Contain("OK: job_isolation: each account's jobs run as its own Unix user (uids 200000-299999)", run.ToString());
    }

    [Fact]
    public async Task AWorkerThatIsNotRoot_IsWarning()
    {
        var dataDir = TestEnvironment.NewScratchDir("isolation-nonroot");
        var jobs = Path.Combine(dataDir, "jobs");
        Directory.CreateDirectory(jobs);
        Mono.Unix.Native.Syscall.chown(jobs, 65534, 65534).Should().Be(0, "the test runs as root");

        var run = await OperationsCommand.RunAsync(ops.Database.ConnectionString, dataDir, ops.ApiUrl, ["health-check", "--json"]);

        run.ExitCode.Should().Be(1, run.ToString());
        var check = run.Check("job_isolation");
        check["status"]!.GetValue<string>().Should().Be("WARNING");
        check["message"]!.GetValue<string>().Should().Contain("does not run as root").And.Contain("uid 65534");
    }
}
