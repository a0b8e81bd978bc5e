using System.Diagnostics;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Contract;

/// <summary>
/// SCNS-Conductor's documented Python client (API_EXAMPLES.md, copied unchanged into
/// Fixtures/scns_client.py) against the real API: it submits, waits, reads, follows a log with
/// its poll-and-diff loop, and cancels, as it does against SCNS-Conductor.
/// </summary>
public sealed class ScnsPythonClientTests(RealStackFixture stack) : IClassFixture<RealStackFixture>
{
    private static readonly string Fixtures = Path.Combine(TestEnvironment.RepoRoot, "tests", "Conductor.Tests", "Contract", "Fixtures");

    [Fact]
    public async Task ScnsOwnClient_CompletesReadsFollowsAndCancelsJobs_Unchanged()
    {
        var name = $"scns_{Guid.NewGuid():N}"[..20];

        var (code, output) = await RunPythonAsync(Path.Combine(Fixtures, "scns_scenario.py"), stack.BaseUrl, name);
        foreach (var file in Directory.EnumerateFiles("/tmp", $"{name}*")) File.Delete(file); // the client writes its outputs to /tmp

        code.Should().Be(0, output);
        var result = JsonNode.Parse(output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal))["RESULT ".Length..])!;
        result["final_state"]!.GetValue<string>().Should().Be("COMPLETED", output);
        result["stdout"]!.GetValue<string>().Should().Be("Starting job\nJob completed\n");
        result["query"]!["detail"]!["work_dir"]!.GetValue<string>().Should().Be("/tmp");
        result["query"]!["detail"]!["exit_code"]!.GetValue<string>().Should().Be("0:0");
        result["query"]!["time"]!["limit_time"]!.GetValue<string>().Should().Be("0:05:00", "the client's time_limit \"5\" is five minutes");
        var expected = string.Concat(Enumerable.Range(1, 20000).Select(i => $"line {i}\n"));
        result["live_printed"]!.GetValue<string>().Should().Be(expected, "SCNS's live-log loop sees every line of a 200 KB output");
        result["cancelled_state"]!.GetValue<string>().Should().Be("CANCELLED");
    }

    private static async Task<(int Code, string Output)> RunPythonAsync(params string[] args)
    {
        var info = new ProcessStartInfo("python3", args)
        {
            WorkingDirectory = Fixtures, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["PYTHONPATH"] = Fixtures, ["PYTHONIOENCODING"] = "utf-8", ["NO_PROXY"] = "127.0.0.1,localhost" },
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
