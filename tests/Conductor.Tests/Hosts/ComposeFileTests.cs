using System.Diagnostics;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Hosts;

/// <summary>docker-compose.yml runs three workers as separate nodes; scripts/check_compose.sh validates it without an engine.</summary>
public sealed class ComposeFileTests
{
    [ComposeFact]
    public async Task TheComposeFile_IsValid_WithThreeWorkersEachANodeOfItsOwn()
    {
        var (code, output) = await CheckAsync("docker-compose.yml");
        code.Should().Be(0, output);
        output.Should().Contain("docker-compose.yml is valid");
    }

    [ComposeFact]
    public async Task AComposeFileWhoseWorkersShareAVolume_OrWhoseApiHasNoNodeSecret_IsRefused()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepoRoot, "docker-compose.yml"));
        var shared = text.Replace("      - jobdata-2:/var/lib/conductor", "      - jobdata-1:/var/lib/conductor", StringComparison.Ordinal);
        var (code, output) = await CheckCopyAsync(shared);
        code.Should().NotBe(0);
        output.Should().Contain("worker-2: its data volume jobdata-1 is mounted by ['worker-1'] too");

        var noSecret = text.Replace("      Conductor__Node__SecretFile: /run/conductor/node/password\n", "", StringComparison.Ordinal);
        (code, output) = await CheckCopyAsync(noSecret);
        code.Should().NotBe(0);
        output.Should().Contain("Conductor__Node__SecretFile is not the node secret");
    }

    private static async Task<(int, string)> CheckCopyAsync(string text)
    {
        var name = $".compose-test-{Guid.NewGuid():N}.yml";
        var path = Path.Combine(TestEnvironment.RepoRoot, name);
        await File.WriteAllTextAsync(path, text);
        try
        {
            return await CheckAsync(name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<(int, string)> CheckAsync(string file)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "scripts", "check_compose.sh"), file])
        {
            WorkingDirectory = TestEnvironment.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}

/// <summary>Skipped, saying so, where no compose validator (docker compose, docker-compose) or PyYAML is installed.</summary>
public sealed class ComposeFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> Available = new(() =>
        Run("docker", "compose version") || Run("docker-compose", "version"));

    public ComposeFactAttribute()
    {
        if (!Available.Value) Skip = "No compose validator here: apt-get install -y docker-compose (or the docker compose plugin)";
    }

    private static bool Run(string file, string args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
