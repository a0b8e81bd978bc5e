using System.Net.Http.Headers;
using Conductor.Tests.Attacks;
using Conductor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Conductor.Tests.WebConsole;

/// <summary>
/// The real stack for the console: a worker, the API as a real process on a real port (the
/// browser needs one), tokens for alice, bob and an admin, and Debian's Chromium driven by
/// Playwright. A missing browser fails the tests with the way to install it; never a skip.
/// </summary>
public sealed class ConsoleStackFixture : ClusterFixture
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private ApiProcess _process = null!;
    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public string AliceToken { get; private set; } = "";
    public string BobToken { get; private set; } = "";
    public string AdminToken { get; private set; } = "";

    protected override int WorkerCpus => 4;

    public override async Task InitializeAsync()
    {
        File.Exists(ChromiumPath).Should().BeTrue($"the console tests drive Debian's Chromium at {ChromiumPath}: apt-get install -y chromium " +
                                                  "(scripts/test.sh installs it)");
        await base.InitializeAsync();
        AliceToken = await Tokens.CreateAsync(this, "alice");
        BobToken = await Tokens.CreateAsync(this, "bob");
        AdminToken = await Tokens.CreateAsync(this, "ops", admin: true);
        (_process, var http, var port) = await RealApi.StartAsync(Database.ConnectionString, new Dictionary<string, string>
        {
            ["Conductor__Worker__DataDir"] = DataDir,
            ["Conductor__Api__TokenCacheSeconds"] = "0",
        });
        http.Dispose();
        BaseUrl = $"http://127.0.0.1:{port}";
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>An HTTP client of the real API acting as <paramref name="token"/>.</summary>
    public ConductorClient As(string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ConductorClient(http);
    }

    public string ApiOutput => _process.Output;

    public override async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        await base.DisposeAsync();
    }
}
