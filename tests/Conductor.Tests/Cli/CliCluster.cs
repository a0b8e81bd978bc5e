using System.Diagnostics;
using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Cli;

/// <summary>
/// A cluster the real <c>conductor</c> executable talks to: the database and worker of
/// <see cref="ClusterFixture"/>, plus the API as a real process on a loopback port (the CLI
/// needs a socket; it never touches the database). Scripts run from a shared directory under /tmp.
/// </summary>
public sealed class CliCluster : ClusterFixture
{
    public ApiProcess? ApiServer { get; private set; }
    public int Port { get; } = ApiProcess.FreePort();
    public string WorkDir { get; } = Path.Combine("/tmp", $"conductor-cli-{Guid.NewGuid():N}");

    public static string CliPath => Path.Combine(TestEnvironment.RepoRoot, "Conductor.Cli", "bin", TestEnvironment.Configuration, "net10.0", "conductor");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Directory.CreateDirectory(WorkDir);
        File.SetUnixFileMode(WorkDir, (UnixFileMode)0b1_111_111_111);
        await StartApiAsync();
    }

    public async Task StartApiAsync()
    {
        ApiServer = ApiProcess.Start(Database.ConnectionString, ["--urls", $"http://127.0.0.1:{Port}"],
            new Dictionary<string, string> { ["LOG_LEVEL"] = "Warning" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        await Eventually.Until(async () =>
        {
            try
            {
                return (await http.GetAsync("/jobs")).StatusCode == HttpStatusCode.OK || ApiServer.HasExited;
            }
            catch (HttpRequestException)
            {
                return ApiServer.HasExited;
            }
        }, ok => ok, TimeSpan.FromSeconds(60), "the API process serves");
        ApiServer.HasExited.Should().BeFalse(ApiServer.Output);
    }

    public async Task StopApiAsync()
    {
        if (ApiServer is not null) await ApiServer.DisposeAsync();
        ApiServer = null;
    }

    /// <summary>Runs the CLI (as <paramref name="name"/> through a link when given) in <see cref="WorkDir"/>, with a clean environment.</summary>
    public async Task<CliResult> RunAsync(string[] args, string? name = null, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var program = CliPath;
        if (name is not null)
        {
            program = Path.Combine(WorkDir, ".bin", name);
            Directory.CreateDirectory(Path.GetDirectoryName(program)!);
            if (!File.Exists(program)) File.CreateSymbolicLink(program, CliPath);
        }
        var info = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = WorkDir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        info.Environment["HOME"] = WorkDir;
        info.Environment["CONDUCTOR_URL"] = $"http://127.0.0.1:{Port}";
        info.Environment["DOTNET_ROOT"] = Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? Path.GetDirectoryName(Environment.ProcessPath)!;
        foreach (var (key, value) in env ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            throw new TimeoutException($"conductor {string.Join(' ', args)} did not end: {await stdout} {await stderr}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public string Write(string name, string text)
    {
        var path = Path.Combine(WorkDir, name);
        File.WriteAllText(path, text.Replace("\r\n", "\n"));
        return path;
    }

    public string Read(string name) => File.ReadAllText(Path.Combine(WorkDir, name));

    public override async Task DisposeAsync()
    {
        await StopApiAsync();
        await base.DisposeAsync();
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record CliResult(int Code, string Out, string Err)
{
    public override string ToString() => $"exit {Code}\nstdout: {Out}\nstderr: {Err}";
}
