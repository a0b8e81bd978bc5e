using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Attacks;

/// <summary>A root worker in the default mode (a Unix user per account), and accounts that authenticate with tokens.</summary>
public sealed class AccountIsolationClusterFixture : ClusterFixture
{
    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();
}

/// <summary>
/// Alice's job attacks bob's, both real jobs under the real root worker with the default user per
/// account: each attack fails, and bob's job completes with its output intact. Bob's job waits for
/// the test to say alice is done, so every attack meets it running. The scratch directory (world-
/// writable, sticky) is how bob's job tells alice its pid, as any shared directory would.
/// </summary>
public sealed class AccountIsolationAttackTests(AccountIsolationClusterFixture cluster) : IClassFixture<AccountIsolationClusterFixture>, IAsyncLifetime
{
    private ConductorClient _alice = null!, _bob = null!;
    private readonly string _scratch = TestEnvironment.NewScratchDir("account-attack");
    private readonly string _secret = $"bob-secret-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        // Accounts of this class alone: their Unix users are machine-wide, and alice's kill -9 -1
        // would otherwise also end the jobs another test class runs at the same time as "alice".
        _alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "isolation-alice"));
        _bob = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "isolation-bob"));
    }

    public Task DisposeAsync()
    {
        File.WriteAllText(Path.Combine(_scratch, "alice-done"), ""); // no bob job waits on past its test
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Alice_CannotReadBobsOutputFile()
    {
        var bob = await StartBobAsync($"echo {_secret}");

        var alice = await AliceAsync($"cat {BobsDir(bob)}/stdout.log; echo rc=$?");

        AliceOut(alice).Should().NotContain(_secret).And.Contain("rc=1");
        AliceErr(alice).Should().Contain("Permission denied");
        await BobCompletesAsync(bob, _secret);
    }

    [Fact]
    public async Task Alice_CannotReadTheEnvironmentOfBobsRunningJob()
    {
        var bob = await StartBobAsync("true", new Dictionary<string, string> { ["BOB_SECRET"] = _secret });

        var alice = await AliceAsync($"""
            p=$(cat {_scratch}/bob.pid)
            tr '\0' '\n' </proc/$p/environ; echo rc=$?
            grep -a BOB_SECRET /proc/$p/task/*/environ; echo rc=$?
            """);

        AliceOut(alice).Should().NotContain(_secret).And.Contain("rc=1");
        AliceErr(alice).Should().Contain("Permission denied");
        await BobCompletesAsync(bob, "done");
    }

    [Fact]
    public async Task Alice_CannotCreateAFileInBobsJobDirectory_NorReplaceHisOutput()
    {
        var bob = await StartBobAsync("true");
        var dir = BobsDir(bob);

        var alice = await AliceAsync($"""
            touch {dir}/planted; echo rc=$?
            ln -sf /etc/shadow {dir}/stdout.log; echo rc=$?
            echo evil > {dir}/stdout.log; echo rc=$?
            """);

        AliceOut(alice).Should().Be("rc=1\nrc=1\nrc=1\n", AliceErr(alice));
        File.Exists(Path.Combine(dir, "planted")).Should().BeFalse();
        await BobCompletesAsync(bob, "done");
    }

    [Fact]
    public async Task KillingEverythingItMay_FromAlicesJob_LeavesBobsRunningJobToComplete()
    {
        var bob = await StartBobAsync("true");

        var alice = await _alice.SubmitAsync("kill -9 -1; echo survived-own-kill");
        await _alice.WaitForFinishAsync(alice, TimeSpan.FromSeconds(60));

        await BobCompletesAsync(bob, "done");
        var after = await _bob.SubmitAsync("echo still-served");
        (await _bob.WaitForFinishAsync(after, TimeSpan.FromSeconds(60)))["job_log"]!["stdout"]!.GetValue<string>()
            .Should().Be("still-served\n", "bob's next job starts as usual");
    }

    /// <summary>
    /// Starts bob's job: <paramref name="first"/>, then its pid to the scratch directory, then it
    /// waits (with a deadline) until alice is done and prints "done". Returns once its pid is there.
    /// </summary>
    private async Task<string> StartBobAsync(string first, Dictionary<string, string>? environment = null)
    {
        var script = $"""
            {first}
            echo $$ > {_scratch}/bob.pid.tmp && mv {_scratch}/bob.pid.tmp {_scratch}/bob.pid
            for i in $(seq 1200); do [ -e {_scratch}/alice-done ] && break; sleep 0.05; done
            echo done
            """;
        var id = await _bob.SubmitAsync(script, new { environment = environment ?? [] });
        await Eventually.Until(() => File.Exists(Path.Combine(_scratch, "bob.pid")), TimeSpan.FromSeconds(60), "bob's job is running");
        return id;
    }

    private async Task<System.Text.Json.Nodes.JsonNode> AliceAsync(string script)
    {
        var id = await _alice.SubmitAsync(script);
        var job = await _alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        return job;
    }

    private async Task BobCompletesAsync(string id, string expected)
    {
        File.WriteAllText(Path.Combine(_scratch, "alice-done"), "");
        var job = await _bob.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
        ConductorClient.State(job).Should().Be("COMPLETED", $"the victim is unharmed\n{job.ToJsonString()}\n{cluster.Worker!.Output}");
        job["job_log"]!["stdout"]!.GetValue<string>().Should().Contain(expected).And.EndWith("done\n");
    }

    private string BobsDir(string id) => Path.Combine(cluster.DataDir, "jobs", id);

    private static string AliceOut(System.Text.Json.Nodes.JsonNode job) => job["job_log"]!["stdout"]!.GetValue<string>();

    private static string AliceErr(System.Text.Json.Nodes.JsonNode job) => job["job_log"]!["stderr"]!.GetValue<string>();
}
