using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// scripts/run.sh as a newcomer meets it: scripts/health_check.sh finds a fresh installation
/// healthy without being told where it listens (it reads what run.sh recorded), and stopping
/// run.sh stops everything it started. Jobs outlive it by design, unless --kill-jobs.
/// Each test starts a whole installation (a new PostgreSQL cluster included): about a minute.
/// </summary>
public sealed class RunScriptTests
{
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task HealthCheck_ExitsZero_AgainstAFreshRunShInstallation_AndRunShStopsAllItStarted()
    {
        await using var install = RunShInstallation.Start();
        await install.WaitUntilRunningAsync();
        install.Process.HasExited.Should().BeFalse(install.Output);
        install.Output.Should().Contain("--kill-jobs", "the banner says that running jobs outlive run.sh unless --kill-jobs");
        install.Output.Should().NotContain("store it safely:", "the first token goes to the token file; no line announces a token that does not follow");

        var check = await HealthCheckAsync(install);
        var started = install.ProcessesItStarted();
        await install.StopAsync(StopDeadline);

        check.ExitCode.Should().Be(0, $"every check is OK against a fresh installation\n{check.Output}\n--- run.sh:\n{install.Output}");
        check.Output.Should().Contain($"127.0.0.1:{install.ApiPort}/health healthy").And.Contain("redis: reachable");
        started.Should().HaveCountGreaterThanOrEqualTo(4, "run.sh started the API, the worker, PostgreSQL and Redis")
            .And.OnlyContain(pid => pid > 0);
        await Processes.WaitAllGoneAsync(started, "the API, the worker and the servers stop with run.sh");
        new[] { install.ApiPort, install.PgPort, install.RedisPort }.Where(RunShInstallation.Listens)
            .Should().BeEmpty($"nothing listens on run.sh's ports once it stopped\n{install.Output}");
    }

    [Fact]
    public async Task KillJobs_CancelsTheRunningJobs_WhenRunShStops()
    {
        await using var install = RunShInstallation.Start("--kill-jobs");
        await install.WaitUntilRunningAsync();
        install.Process.HasExited.Should().BeFalse(install.Output);
        using var http = install.AdminClient();
        var marker = $"3600.{Random.Shared.Next(100_000, 999_999)}";
        var submit = await http.PostAsJsonAsync("/jobs/submit", new JsonObject
        {
            ["job"] = new JsonObject { ["name"] = "outlives-run-sh", ["cpus_per_task"] = 1, ["time_limit"] = "5" },
            ["script"] = $"#!/bin/bash\nsleep {marker}\n",
        });
        submit.EnsureSuccessStatusCode();
        await Eventually.Until(() => JobProcesses(marker).Count > 0, TimeSpan.FromSeconds(60), "the job runs");

        await install.StopAsync(StopDeadline);

        install.Output.Should().Contain("--kill-jobs: cancelling 1 running job(s)").And.Contain("--kill-jobs: no job is running any more");
        await Eventually.Until(() => JobProcesses(marker).Count == 0, TimeSpan.FromSeconds(10), "the cancelled job's process is gone");
    }

    private static List<int> JobProcesses(string marker) => RunShInstallation.AllPids()
        .Where(pid => Processes.IsAlive(pid) && SafeCommandLine(pid) == $"sleep {marker}").ToList();

    private static string SafeCommandLine(int pid)
    {
        try
        {
            return Processes.CommandLine(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>scripts/health_check.sh from an operator's shell: only the installation's data directory is known.</summary>
    private static async Task<CapturedProcess> HealthCheckAsync(RunShInstallation install)
    {
        var info = new ProcessStartInfo("bash", ["scripts/health_check.sh"]) { WorkingDirectory = TestEnvironment.RepoRoot };
        RunShInstallation.IsolateFromTheTestRun(info.Environment, install.DataDir.FullName);
        var check = CapturedProcess.Start(info);
        (await check.WaitForExitAsync(TimeSpan.FromMinutes(2))).Should().BeTrue($"health_check.sh finishes\n{check.Output}");
        return check;
    }
}
