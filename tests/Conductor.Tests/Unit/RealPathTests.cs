using Conductor.Core.Jobs;

namespace Conductor.Tests.Unit;

/// <summary>The worker's path check resolves links as the kernel would open the path, and from a known directory only below it.</summary>
[Trait("Category", "Unit")]
public sealed class RealPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"realpath-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Resolve_FollowsEveryLink_AndKeepsAMissingTailAsWritten()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "real"));
        File.CreateSymbolicLink(Path.Combine(_dir, "link"), Path.Combine(_dir, "real"));
        File.CreateSymbolicLink(Path.Combine(_dir, "real", "out"), "/etc");

        RealPath.Resolve(Path.Combine(_dir, "link", "out", "passwd")).Should().Be("/etc/passwd");
        RealPath.Resolve(Path.Combine(_dir, "link", "missing", "a", "..", "b")).Should().Be(Path.Combine(_dir, "real", "missing", "b"));
        // Back up out of a missing directory, links are followed again.
        File.CreateSymbolicLink(Path.Combine(_dir, "real", "up"), "/etc");
        RealPath.Resolve(Path.Combine(_dir, "link", "missing", "..", "up", "hostname")).Should().Be("/etc/hostname");
    }

    [Fact]
    public void Resolve_FromAKnownDirectory_StillFollowsTheLinksBelowIt()
    {
        var jobDir = Directory.CreateDirectory(Path.Combine(_dir, "jobs", "7")).FullName;
        File.CreateSymbolicLink(Path.Combine(jobDir, "stdout.log"), "/etc/shadow");
        var roots = new AllowedRoots([_dir]);

        RealPath.Resolve(Path.Combine(jobDir, "stdout.log"), jobDir, jobDir).Should().Be("/etc/shadow");
        RealPath.Resolve(Path.Combine(jobDir, "stderr.log"), jobDir, jobDir).Should().Be(Path.Combine(jobDir, "stderr.log"));
        RealPath.Resolve("/etc/../etc/hostname", jobDir, jobDir).Should().Be("/etc/hostname", "a path outside the known directory is resolved whole");
        roots.Violation(Path.Combine(jobDir, "stdout.log")).Should().Contain("resolves to /etc/shadow");
        roots.Violation(Path.Combine(jobDir, "stderr.log")).Should().BeNull();
    }

    [Fact]
    public void Violation_RefusesEveryPathBelowTheDataDirectory_EvenThroughALink()
    {
        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        Directory.CreateDirectory(Path.Combine(data, "jobs", "8"));
        File.CreateSymbolicLink(Path.Combine(_dir, "into-data"), data);
        var roots = new AllowedRoots([_dir], data);

        roots.Violation(Path.Combine(data, "jobs", "8")).Should().Contain("must not be inside the data directory");
        roots.Violation(Path.Combine(data, "control", "8", "pid")).Should().Contain("must not be inside the data directory");
        roots.Violation(data).Should().Contain("must not be inside the data directory");
        roots.Violation(Path.Combine(_dir, "into-data", "jobs", "9")).Should().Contain("must not be inside the data directory", "the link resolves into it");
        roots.Violation(Path.Combine(_dir, "data-sibling")).Should().BeNull("a name that merely begins like the data dir is outside it");
    }
}
