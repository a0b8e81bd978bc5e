using System.Diagnostics;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Hosts;

/// <summary>
/// A test that needs network and mount namespaces (<c>netns.sh probe</c>): skipped, saying why,
/// only where they cannot be made (not root, no <c>ip</c>, a container without CAP_SYS_ADMIN). CI runs as root: they run there.
/// </summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Problem = new(Probe);

    public NamespaceFactAttribute()
    {
        if (Problem.Value is { } why) Skip = $"Network and mount namespaces cannot be made here: {why}";
    }

    public static string Script => Path.Combine(TestEnvironment.RepoRoot, "tests", "Conductor.Tests", "Hosts", "netns.sh");

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("bash", [Script, "probe"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = probe.StandardOutput.ReadToEnd() + probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0 ? null : output.Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
    }
}
