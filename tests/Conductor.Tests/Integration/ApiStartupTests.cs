using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>The start-up rule of authentication, shown with the real API process on a real address.</summary>
public sealed class ApiStartupTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Api_RefusesToStart_OnAllInterfaces_WhenNoTokenExists()
    {
        await using var api = ApiProcess.Start(_db.ConnectionString, ["--urls", $"http://0.0.0.0:{ApiProcess.FreePort()}"]);

        (await api.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().BeTrue("an open API beyond loopback is a remote shell: " + api.Output);

        api.ExitCode.Should().NotBe(0);
        api.Output.Should().Contain("Refusing to start").And.Contain("token create");
    }

    [Fact]
    public async Task Api_StartsOnAllInterfaces_OnceATokenExists_AndAnswers401WithoutIt()
    {
        var (code, output) = await ApiProcess.RunAsync(_db.ConnectionString, "token", "create", "--account", "ops", "--admin");
        code.Should().Be(0, output);
        var port = ApiProcess.FreePort();
        await using var api = ApiProcess.Start(_db.ConnectionString, ["--urls", $"http://0.0.0.0:{port}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var health = await Eventually.Until(async () => await TryGetAsync(http, "/health") ?? (api.HasExited ? HttpStatusCode.Gone : null),
            s => s is not null, TimeSpan.FromSeconds(60), "the API answers /health");

        health.Should().NotBe(HttpStatusCode.Gone, api.Output);
        (await http.GetAsync("/jobs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Api_OnLoopbackWithoutToken_Starts_AndWarnsThatAuthenticationIsOff()
    {
        var port = ApiProcess.FreePort();
        await using var api = ApiProcess.Start(_db.ConnectionString, ["--urls", $"http://127.0.0.1:{port}"]);

        await Eventually.Until(() => api.Output.Contains("Authentication is OFF", StringComparison.Ordinal) || api.HasExited,
            TimeSpan.FromSeconds(60), "the API warns at start");

        api.HasExited.Should().BeFalse(api.Output);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var status = await Eventually.Until(() => TryGetAsync(http, "/jobs"), s => s is not null, TimeSpan.FromSeconds(30), "the API serves");
        status.Should().Be(HttpStatusCode.OK, "with no token, loopback requests are served anonymously");
    }

    [Fact]
    public async Task Api_DoesNotWatchItsWorkingDirectory_WhereJobFilesAndDatabaseFilesMayLive()
    {
        // scripts/run.sh starts the API in the repository, with .data (PostgreSQL's files and the
        // worker's job directories) below it: a watch there would wake the API for every write.
        var root = Directory.CreateTempSubdirectory("conductor-api-root-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "jobs-data", "jobs", "1"));
            var port = ApiProcess.FreePort();
            await using var api = ApiProcess.Start(_db.ConnectionString, ["--urls", $"http://127.0.0.1:{port}"], workingDirectory: root.FullName);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var status = await Eventually.Until(() => TryGetAsync(http, "/health"), s => s is not null || api.HasExited, TimeSpan.FromSeconds(60), "the API serves");
            status.Should().Be(HttpStatusCode.OK, api.Output);

            InotifyWatches(api.Pid).Should().Be(0, "configuration comes from the environment; nothing under the working directory is watched");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>The inotify watches a process holds, from its inotify descriptors' fdinfo.</summary>
    private static int InotifyWatches(int pid) =>
        Directory.EnumerateFiles($"/proc/{pid}/fdinfo")
            .Sum(f =>
            {
                try
                {
                    return File.ReadLines(f).Count(l => l.StartsWith("inotify wd:", StringComparison.Ordinal));
                }
                catch (IOException)
                {
                    return 0; // the descriptor closed meanwhile
                }
            });

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            return (await http.GetAsync(path)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
