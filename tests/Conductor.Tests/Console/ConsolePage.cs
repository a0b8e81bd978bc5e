using Conductor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Conductor.Tests.WebConsole;

/// <summary>
/// One browser tab on the console: signs in through the form, remembers every request the page
/// made (to check whose token it carried) and every script error or dialog (an XSS would show
/// as one), and saves screenshots under docs/console/.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    public IPage Page { get; }
    public List<IRequest> Requests { get; } = [];
    public List<string> Errors { get; } = [];
    private int _signedInAt;

    private ConsolePage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Request += (_, r) => { lock (Requests) Requests.Add(r); };
        page.PageError += (_, e) => { lock (Errors) Errors.Add($"pageerror: {e}"); };
        // A 401 or 404 answer is logged as "Failed to load resource": expected (probes), not a script error.
        page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) lock (Errors) Errors.Add($"console: {m.Text}");
        };
        page.Dialog += async (_, d) => { lock (Errors) Errors.Add($"dialog: {d.Message}"); await d.DismissAsync(); };
    }

    public static async Task<ConsolePage> OpenAsync(ConsoleStackFixture stack)
    {
        var context = await stack.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = stack.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, Locale = "en-GB", TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(30_000);
        return new ConsolePage(context, await context.NewPageAsync());
    }

    public async Task SignInAsync(string token)
    {
        await Page.GotoAsync("/ui/");
        await Page.GetByLabel("API token").FillAsync(token);
        lock (Requests) _signedInAt = Requests.Count;
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Page.Locator("#jobs").WaitForAsync();
        // A mark that a reload would wipe: the page must update without one.
        await Page.EvaluateAsync("() => { window.__sameDocument = true; }");
    }

    public Task<bool> IsSameDocumentAsync() => Page.EvaluateAsync<bool>("() => window.__sameDocument === true");

    public async Task GoAsync(string hash) => await Page.EvaluateAsync("h => { location.hash = h; }", hash);

    public async Task ScreenshotAsync(string name)
    {
        var dir = Path.Combine(TestEnvironment.RepoRoot, "docs", "console");
        Directory.CreateDirectory(dir);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, $"{name}.png"), FullPage = false });
    }

    /// <summary>The API calls the page made from signing in on (not the console's own files).</summary>
    public IReadOnlyList<IRequest> ApiCalls()
    {
        lock (Requests) return Requests.Skip(_signedInAt).Where(r => !new Uri(r.Url).AbsolutePath.StartsWith("/ui", StringComparison.Ordinal)).ToList();
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
