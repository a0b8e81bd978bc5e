using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Spawning;

namespace Conductor.Tests.Integration;

/// <summary>
/// The spawner's way into a job's cgroups on cgroup v2 (the gate: the child waits on fd 3 until it
/// has been placed), tried on this host's cgroup2 mount, which holds no controllers but takes
/// processes like any v2 hierarchy; and its refusal to start a job as root.
/// </summary>
public sealed class SpawnerTests
{
    [Fact]
    public async Task GatedChild_RunsOnlyOnceItIsInItsCgroup()
    {
        var unified = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(" - ")).Where(p => p.Length == 2 && p[1].StartsWith("cgroup2 ", StringComparison.Ordinal))
            .Select(p => p[0].Split(' ')[4]).FirstOrDefault();
        if (unified is null) return; // no cgroup2 mount here: nothing to try it on
        var cgroup = Directory.CreateDirectory(Path.Combine(unified, $"conductor-gate-test-{Guid.NewGuid():N}"[..32])).FullName;
        var dir = TestEnvironment.NewScratchDir(nameof(SpawnerTests));
        var script = Path.Combine(dir, "script.sh");
        File.WriteAllText(script, "cat /proc/self/cgroup\nbash -c true\n");
        // BASH_ENV is sourced by every bash that starts: held back until the gate, the job's shell
        // does not source it outside its cgroup, and its children do, inside.
        var bashEnv = Path.Combine(dir, "bash_env");
        File.WriteAllText(bashEnv, $"cat /proc/self/cgroup >> {dir}/sourced\n");
        var spawner = await SpawnerClient.StartAsync(new ProcProcessProbe(), NullLogger.Instance, CancellationToken.None, ["dotnet", TestEnvironment.WorkerDll]);
        try
        {
            var user = new Mono.Unix.UnixUserInfo("conductor-job");
            var request = new SpawnRequest(0, Tools.Bash,
                ["bash", "-c", Wrapper.Script, script, Path.Combine(dir, "out"), Path.Combine(dir, "err"), dir, "unlimited", "gate"],
                ["PATH=/usr/bin:/bin", $"{SpawnerLauncher.Deferred("BASH_ENV")}={bashEnv}"], dir, [0], Path.Combine(dir, "wrapper.log"), Path.Combine(dir, "pid"), Path.Combine(dir, "exit_status"))
            {
                Uid = (int)user.UserId, Gid = (int)user.GroupId, Cgroups = new CgroupPlacement(CgroupEntry.Gate, [Path.Combine(cgroup, "cgroup.procs")], []),
            };

            var process = await spawner.SpawnAsync(request, CancellationToken.None);
            var code = await process.Exited.WaitAsync(TimeSpan.FromSeconds(30));

            code.Should().Be(0, File.ReadAllText(Path.Combine(dir, "wrapper.log")));
            File.ReadAllText(Path.Combine(dir, "out")).Should().Contain("0::/" + Path.GetFileName(cgroup), "the script ran inside the cgroup the spawner placed it in");
            File.ReadAllLines(Path.Combine(dir, "sourced")).Where(l => l.StartsWith("0::", StringComparison.Ordinal)).Should()
                .Equal(["0::/" + Path.GetFileName(cgroup)], "BASH_ENV was sourced once, by the script's child, inside the cgroup");
            var asRoot = () => spawner.SpawnAsync(request with { Uid = 0, Gid = 0, Cgroups = CgroupPlacement.None }, CancellationToken.None);
            await asRoot.Should().ThrowAsync<InvalidOperationException>().WithMessage("*never run as root*");
        }
        finally
        {
            spawner.Close();
            await Eventually.Until(() => File.ReadAllText(Path.Combine(cgroup, "cgroup.procs")).Trim().Length == 0, TimeSpan.FromSeconds(10), "the job is gone");
            Directory.Delete(cgroup);
        }
    }
}
