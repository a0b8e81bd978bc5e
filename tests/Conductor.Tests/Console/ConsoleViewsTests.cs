using Conductor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Conductor.Tests.WebConsole;

/// <summary>The overview's charts and the job page's actions, as the server offers them.</summary>
[Collection("Console")]
public sealed class ConsoleViewsTests(ConsoleStackFixture stack) : IClassFixture<ConsoleStackFixture>
{
    [Fact]
    public async Task The_Overview_DrawsThroughputAndQueueDepthCharts_FromTheDatabase()
    {
        var alice = stack.As(stack.AliceToken);
        for (var i = 0; i < 3; i++) await alice.SubmitAsync("true", new { name = $"overview-{i}" });
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AdminToken);

        await tab.GoAsync("#/overview");
        await Assertions.Expect(tab.Page.Locator("#chart-throughput canvas")).ToHaveCountAsync(1);
        await Assertions.Expect(tab.Page.Locator("#chart-depth canvas")).ToHaveCountAsync(1);
        await Assertions.Expect(tab.Page.Locator("#cards")).ToContainTextAsync("success rate");
        (await tab.Page.Locator("#chart-throughput").GetAttributeAsync("aria-label")).Should().Contain("submitted");
        await tab.ScreenshotAsync("overview");
        tab.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_PendingJobsPage_OffersCancelAndHold_ButNotWhatOnlyOtherStatesAllow()
    {
        var alice = stack.As(stack.AliceToken);
        var id = await alice.SubmitAsync("true", new { name = "waits-for-its-time", begin_time = "2099-01-01T00:00:00" });
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);

        await tab.GoAsync($"#/job/{id}");
        await Assertions.Expect(tab.Page.Locator("button[data-action=cancel]")).ToBeVisibleAsync();
        await Assertions.Expect(tab.Page.Locator("button[data-action=hold]")).ToHaveCountAsync(1);
        await Assertions.Expect(tab.Page.Locator("button[data-action=requeue]")).ToHaveCountAsync(0);
        await Assertions.Expect(tab.Page.Locator("button[data-action=release]")).ToHaveCountAsync(0);
        await Assertions.Expect(tab.Page.Locator("button[data-action=resubmit]")).ToHaveCountAsync(0, new() { Timeout = 1000 });
        await tab.Page.Locator("button[data-action=cancel]").ClickAsync();
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        ConductorClient.State(await alice.QueryAsync(id)).Should().Be("PENDING", "saying no to the confirmation does nothing");
        await alice.CancelAsync(id);
    }

    [Fact]
    public async Task A_ThousandJobsAndAHundredNodes_ArePagedAndDrawn_AndTheKeyboardTurnsThePages()
    {
        var bulk = Enumerable.Range(0, 1000).Select(i => new { job = new { name = $"bulk-{i}", begin_time = "2099-01-01T00:00:00" }, script = "true" });
        var response = await stack.As(stack.AliceToken).Http.PostAsync("/jobs/submit/bulk", Attacks.RealApi.JsonBody(bulk));
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        await stack.Database.ExecuteAsync("""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, registered_at, last_heartbeat)
            SELECT 'rack-' || lpad(i::text, 3, '0'), 'default', 32, ARRAY(SELECT generate_series(0, 31)), 131072, 'Down', gen_random_uuid(), now(), now()
            FROM generate_series(1, 100) i
            """);
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);

        var rows = tab.Page.Locator("#jobs tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(50);
        var first = await rows.First.GetAttributeAsync("data-job");
        await tab.Page.Locator("#jobs").ClickAsync();
        await tab.Page.Keyboard.PressAsync("]");
        await Assertions.Expect(tab.Page.Locator(".page-no")).ToHaveTextAsync("Page 2");
        (await rows.First.GetAttributeAsync("data-job")).Should().NotBe(first);
        await tab.Page.Keyboard.PressAsync("[");
        await Assertions.Expect(tab.Page.Locator(".page-no")).ToHaveTextAsync("Page 1");
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-job", first!);

        await tab.GoAsync("#/nodes");
        await Assertions.Expect(tab.Page.Locator("#nodes section.node")).ToHaveCountAsync(101);
        (await tab.Page.Locator("#nodes .core").CountAsync()).Should().BeGreaterThanOrEqualTo(3200);
        tab.Errors.Should().BeEmpty();
    }
}
