using System.Diagnostics;
using System.Text.RegularExpressions;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Contract;

/// <summary>
/// The README is executable: every <c>curl</c> command of its bash blocks runs, in order, against
/// the real API on a fresh database (so job 1 is the README's job 1) and must answer 2xx, or the
/// status its trailing comment names (<c># 400</c>). The Chinese README carries the same commands.
/// </summary>
public sealed partial class ReadmeExamplesTests(RealStackFixture stack) : IClassFixture<RealStackFixture>
{
    private const string DocumentedUrl = "http://127.0.0.1:8000";

    [GeneratedRegex(@"#\s*(\d{3})\s*$")]
    private static partial Regex ExpectedStatus();

    /// <summary>The curl commands of the file's bash blocks, continuation lines joined.</summary>
    public static List<string> CurlCommands(string file)
    {
        var commands = new List<string>();
        var inBash = false;
        string? current = null;
        foreach (var line in File.ReadAllLines(Path.Combine(TestEnvironment.RepoRoot, file)))
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) { inBash = line.Trim() == "```bash"; continue; }
            if (!inBash) continue;
            if (current is not null) current += "\n" + line;
            else if (line.StartsWith("curl ", StringComparison.Ordinal)) current = line;
            else continue;
            if (!line.TrimEnd().EndsWith('\\') && !OpenQuote(current)) { commands.Add(current); current = null; }
        }
        return commands;
    }

    /// <summary>A single-quoted JSON body may span lines without a backslash; a comment (# after a blank, outside quotes) ends a line.</summary>
    private static bool OpenQuote(string command)
    {
        char? quote = null;
        foreach (var line in command.Split('\n'))
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (quote is null && c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) break;
                if (quote is null && c is '\'' or '"') quote = c;
                else if (quote == c) quote = null;
            }
        return quote is not null;
    }

    [Fact]
    public async Task EveryCurlExampleOfTheReadme_AnswersWhatItSays()
    {
        var commands = CurlCommands("README.md");
        commands.Should().HaveCountGreaterThan(20);

        foreach (var command in commands)
        {
            var expected = ExpectedStatus().Match(command.Split('\n')[^1]) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;
            var (status, body) = await RunAsync(command.Replace(DocumentedUrl, stack.BaseUrl, StringComparison.Ordinal));
            if (expected == 0) status.Should().BeInRange(200, 299, $"{command}\nanswered {body}\n{stack.ApiOutput}");
            else status.Should().Be(expected, $"{command}\nanswered {body}");
        }
    }

    [Fact]
    public void TheChineseReadme_CarriesTheSameCurlExamples() =>
        CurlCommands("README.zh-CN.md").Select(Normalise).Should().Equal(CurlCommands("README.md").Select(Normalise),
            "README.zh-CN.md is kept in step with README.md");

    /// <summary>Comments are translated; the commands are not.</summary>
    private static string Normalise(string command) =>
        string.Join("\n", command.Split('\n').Select(l => Regex.Replace(l, @"\s+#(?!!).*$", "").TrimEnd()));

    /// <summary>Runs one command with curl wrapped to report the status and keep the body.</summary>
    private static async Task<(int Status, string Body)> RunAsync(string command)
    {
        var bodyFile = Path.GetTempFileName();
        try
        {
            var script = $"curl() {{ command curl -o '{bodyFile}' -w '%{{http_code}}' --max-time 60 \"$@\"; }}\n{command}\n";
            var info = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var stdout = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            var body = File.Exists(bodyFile) ? await File.ReadAllTextAsync(bodyFile) : "";
            return (int.TryParse(stdout.Trim(), out var status) ? status : -1, body + await process.StandardError.ReadToEndAsync());
        }
        finally
        {
            File.Delete(bodyFile);
        }
    }
}
