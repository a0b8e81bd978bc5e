using System.Net;
using Conductor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Conductor.Tests.WebConsole;

/// <summary>
/// What a job can do to the person looking at it: its name, script and output are the job
/// owner's text, shown to them and to admins. None of it may run in the console's page.
/// </summary>
[Collection("Console")]
public sealed class ConsoleAttackTests(ConsoleStackFixture stack) : IClassFixture<ConsoleStackFixture>
{
    private const string Name = "<img src=x onerror=\"window.__xss='name'\">";
    private const string Printed = "<script>window.__xss='script'</script><img src=x onerror=\"window.__xss='output'\"><b>bold?</b>";

    [Fact]
    public async Task A_JobNamedWithHtml_PrintingHtml_IsShownAsText_AndNothingRuns()
    {
        var alice = stack.As(stack.AliceToken);
        var id = await alice.SubmitAsync($"#!/bin/bash\n# {Printed}\ncat <<'EOF'\n{Printed}\nEOF\ncat >&2 <<'EOF'\n{Printed}\nEOF\n", new { name = Name });
        await alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);

        var nameCell = tab.Page.Locator($"#jobs tr[data-job='{id}'] td.name");
        await Assertions.Expect(nameCell).ToHaveTextAsync(Name);
        await tab.GoAsync($"#/job/{id}");
        await Assertions.Expect(tab.Page.Locator("#stdout")).ToContainTextAsync(Printed);
        await Assertions.Expect(tab.Page.Locator("#stderr")).ToContainTextAsync(Printed);
        await Assertions.Expect(tab.Page.Locator("#script")).ToContainTextAsync(Printed);
        await Assertions.Expect(tab.Page.Locator("#view h1")).ToContainTextAsync(Name);

        (await tab.Page.EvaluateAsync<string?>("() => window.__xss ?? null")).Should().BeNull("no markup from the job ran");
        (await tab.Page.Locator("main img, main script, main b").CountAsync()).Should().Be(0, "the job's text became no element");
        tab.Errors.Should().BeEmpty("no dialog, no script error");
        await tab.ScreenshotAsync("xss-as-text");
    }

    [Fact]
    public async Task The_ConsoleIsServedUnderAStrictPolicy_ThatForbidsInlineScript()
    {
        using var http = new HttpClient { BaseAddress = new Uri(stack.BaseUrl) };
        var page = await http.GetAsync("/ui/");
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        policy.Should().Contain("script-src 'self'").And.Contain("frame-ancestors 'none'").And.Contain("default-src 'none'")
            .And.NotContain("unsafe-inline").And.NotContain("unsafe-eval");
        page.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        (await page.Content.ReadAsStringAsync()).Should().NotContain("<script>", "the page has no inline script to allow");

        // Even injected inline script would not run: the browser enforces the policy.
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.Page.GotoAsync("/ui/");
        await tab.Page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); }");
        (await tab.Page.EvaluateAsync<int?>("() => window.__inline ?? null")).Should().BeNull("CSP blocks inline script");
    }

    [Fact]
    public async Task The_FirstPage_IsUnder200KilobytesTransferred()
    {
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.Page.GotoAsync("/ui/");
        await tab.Page.GetByLabel("API token").WaitForAsync();
        await tab.Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        long total = 0;
        foreach (var request in tab.Requests.ToList())
        {
            var sizes = await request.SizesAsync();
            total += sizes.ResponseBodySize + sizes.ResponseHeadersSize;
        }
        tab.Requests.Select(r => r.Url).Should().NotContain(u => u.Contains("uPlot"), "the chart library loads only with the overview");
        total.Should().BeGreaterThan(0).And.BeLessThan(200 * 1024);
    }
}
