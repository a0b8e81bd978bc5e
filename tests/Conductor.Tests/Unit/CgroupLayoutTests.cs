using Conductor.Core.Operations;
using Conductor.Worker.Operations;
using Conductor.Worker.Processes.Cgroups;

namespace Conductor.Tests.Unit;

/// <summary>Where job cgroups go, found from /proc/self/cgroup and mountinfo; a missing controller is a WARNING naming what goes unenforced.</summary>
[Trait("Category", "Unit")]
public sealed class CgroupLayoutTests
{
    // Real mount points of this host (the tests run as root): a base counts when it exists or could be made.
    private static readonly string[] Own = ["5:pids:/", "4:memory:/", "3:cpuset:/", "2:cpu,cpuacct:/", "1:freezer:/elsewhere", "0::/"];

    private static string MountLine(string point, string options, string root = "/") => $"30 25 0:27 {root} {point} rw,relatime shared:9 - cgroup cgroup rw,{options}";

    [Fact]
    public void V1Hierarchies_AreFoundUnderTheWorkersOwnCgroups_AndAMissingOneIsAWarning()
    {
        string[] mounts = [MountLine("/sys/fs/cgroup/pids", "pids"), MountLine("/sys/fs/cgroup/memory", "memory"),
            MountLine("/sys/fs/cgroup/cpuset", "cpuset"), MountLine("/sys/fs/cgroup/cpuacct", "cpu,cpuacct"),
            MountLine("/sys/fs/cgroup/freezer", "freezer", root: "/mine")];

        var layout = CgroupLayout.Locate(Own, mounts, create: false, memory: true);

        layout.V2.Should().BeFalse();
        layout.Bases[CgroupController.Memory].Should().Be("/sys/fs/cgroup/memory/conductor-jobs");
        layout.Bases[CgroupController.Cpuacct].Should().Be("/sys/fs/cgroup/cpuacct/conductor-jobs", "a co-mounted controller is found by its mount options");
        layout.Homes[CgroupController.Memory].Should().Be("/sys/fs/cgroup/memory");
        layout.Missing().Should().Equal([CgroupController.Freezer], "a mount of another part of the hierarchy does not show the worker's cgroup");
        var checks = ContainmentChecks.Cgroups(layout, memory: true).ToList();
        checks.Should().ContainSingle().Which.Should().Match<CheckResult>(c => c.Name == "cgroup_freezer" && c.Status == CheckStatus.Warning && c.Message.Contains("killed without being frozen"));
    }

    [Fact]
    public void NoCgroupsAtAll_IsAWarningPerController_AndWithEnforceMemoryOffMemoryIsNotAsked()
    {
        var layout = CgroupLayout.Locate(["0::/"], [], create: false, memory: false);

        var checks = ContainmentChecks.Cgroups(layout, memory: false).ToList();

        checks.Select(c => c.Name).Should().Equal("cgroup_cpuset", "cgroup_pids", "cgroup_freezer", "cgroup_cpuacct");
        checks.Should().OnlyContain(c => c.Status == CheckStatus.Warning);
    }
}
