using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Conductor.Tests.WebConsole;

/// <summary>The console in a real headless Chromium against the real API, worker and database.</summary>
[Collection("Console")]
public sealed class ConsoleBrowserTests(ConsoleStackFixture stack) : IClassFixture<ConsoleStackFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_JobSubmittedFromTheForm_TurnsCompletedInTheQueue_WithoutAReload()
    {
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);
        var name = $"form-job-{Guid.NewGuid():N}"[..18];

        await tab.GoAsync("#/submit");
        await tab.Page.GetByLabel("Name").FillAsync(name);
        await tab.Page.GetByLabel("Script").FillAsync("#!/bin/bash\necho submitted from the console\n");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();

        var row = tab.Page.Locator("#jobs tbody tr", new() { HasText = name });
        await row.WaitForAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "COMPLETED", new() { Timeout = 60_000 });
        (await tab.IsSameDocumentAsync()).Should().BeTrue("the row changed in place, without reloading the page");
        var id = await row.GetAttributeAsync("data-job");
        (await stack.As(stack.AliceToken).QueryAsync(id!))["detail"]!["data_source"]!.GetValue<string>().Should().Be("WEB");
        await tab.ScreenshotAsync("queue");
        tab.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task The_JobPage_ShowsALineTheJobPrintsAfterThePageOpened()
    {
        var flag = Path.Combine("/tmp", $"console-flag-{Guid.NewGuid():N}");
        var marker = $"printed-after-open-{Guid.NewGuid():N}"[..30];
        var alice = stack.As(stack.AliceToken);
        var id = await alice.SubmitAsync($"#!/bin/bash\necho waiting for the page\nwhile [ ! -e {flag} ]; do sleep 0.2; done\necho {marker}\necho to stderr >&2\n",
            new { name = "follow-me", time_limit = "10" });
        await alice.WaitForStateAsync(id, "RUNNING", Deadline);
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);

        await tab.GoAsync($"#/job/{id}");
        await Assertions.Expect(tab.Page.Locator("#stdout")).ToContainTextAsync("waiting for the page");
        (await tab.Page.Locator("#stdout").TextContentAsync()).Should().NotContain(marker, "the job has not printed it yet");
        await File.WriteAllTextAsync(flag, "");
        try
        {
            await Assertions.Expect(tab.Page.Locator("#stdout")).ToContainTextAsync(marker, new() { Timeout = 30_000 });
            await Assertions.Expect(tab.Page.Locator("#stderr")).ToContainTextAsync("to stderr");
            await Assertions.Expect(tab.Page.Locator("#job-fields")).ToContainTextAsync("COMPLETED", new() { Timeout = 30_000 });
        }
        finally
        {
            File.Delete(flag);
        }
        await Assertions.Expect(tab.Page.Locator("#script")).ToContainTextAsync("while [ ! -e");
        await Assertions.Expect(tab.Page.Locator("#timeline")).ToContainTextAsync("RUNNING");
        (await tab.IsSameDocumentAsync()).Should().BeTrue();
        await tab.ScreenshotAsync("job");
        tab.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task Cancelling_ARunningJobFromItsPage_AsksOnce_AndEndsItCancelled()
    {
        var alice = stack.As(stack.AliceToken);
        var id = await alice.SubmitAsync("#!/bin/bash\necho running until cancelled\nsleep 300\n", new { name = "cancel-me" });
        await alice.WaitForStateAsync(id, "RUNNING", Deadline);
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);

        await tab.GoAsync($"#/job/{id}");
        await tab.Page.Locator("button[data-action=cancel]").ClickAsync();
        var dialog = tab.Page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync($"Cancel job {id}?");
        await tab.ScreenshotAsync("cancel");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Assertions.Expect(tab.Page.Locator("#job-fields")).ToContainTextAsync("CANCELLED", new() { Timeout = 60_000 });
        ConductorClient.State(await alice.QueryAsync(id)).Should().Be("CANCELLED");
        await Assertions.Expect(tab.Page.Locator("button[data-action=cancel]")).ToHaveCountAsync(0);
        tab.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task Alice_NeverSeesBobsJob_AndEveryCallHerConsoleMakesCarriesHerToken()
    {
        var bob = stack.As(stack.BobToken);
        var secret = $"bobs-secret-{Guid.NewGuid():N}"[..24];
        var bobs = await bob.SubmitAsync("#!/bin/bash\nsleep 120\n", new { name = secret });
        await bob.WaitForStateAsync(bobs, "RUNNING", Deadline);
        var alice = stack.As(stack.AliceToken);
        var hers = await alice.SubmitAsync("#!/bin/bash\nsleep 120\n", new { name = "alices-own" });
        await alice.WaitForStateAsync(hers, "RUNNING", Deadline);
        try
        {
            await using var tab = await ConsolePage.OpenAsync(stack);
            await tab.SignInAsync(stack.AliceToken);
            await Assertions.Expect(tab.Page.Locator("#who")).ToHaveTextAsync("alice");
            await Assertions.Expect(tab.Page.Locator($"#jobs tr[data-job='{hers}']")).ToHaveCountAsync(1);
            await tab.Page.GetByLabel("Account").FillAsync("bob");
            await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            await Assertions.Expect(tab.Page.Locator("#jobs")).ToContainTextAsync("No jobs.");

            await tab.GoAsync("#/nodes");
            await Assertions.Expect(tab.Page.Locator($"#nodes a[href='#/job/{hers}']").First).ToBeVisibleAsync();
            await Assertions.Expect(tab.Page.Locator("#nodes .core.other").First).ToBeVisibleAsync();
            await tab.ScreenshotAsync("nodes");
            await tab.GoAsync($"#/job/{bobs}");
            await Assertions.Expect(tab.Page.Locator("main")).ToContainTextAsync("does not exist");

            (await tab.Page.ContentAsync()).Should().NotContain(secret).And.NotContain($"#/job/{bobs}'");
            var calls = tab.ApiCalls();
            calls.Should().NotBeEmpty();
            foreach (var call in calls)
                (await call.AllHeadersAsync()).GetValueOrDefault("authorization").Should().Be($"Bearer {stack.AliceToken}", call.Url);
        }
        finally
        {
            await bob.CancelAsync(bobs);
            await alice.CancelAsync(hers);
        }
    }

    [Fact]
    public async Task A_BadFieldInTheForm_ShowsTheApisOwnMessage_NextToThatField()
    {
        var expected = await ApiMessageAsync(new { job = new { memory_per_node = "12 parsecs" }, script = "true" }, "job.memory_per_node");
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.SignInAsync(stack.AliceToken);

        await tab.GoAsync("#/submit");
        await tab.Page.GetByLabel("Memory").FillAsync("12 parsecs");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();

        await Assertions.Expect(tab.Page.Locator("#s-memory_per_node-error")).ToHaveTextAsync(expected);
        await Assertions.Expect(tab.Page.Locator("#s-memory_per_node")).ToHaveAttributeAsync("aria-invalid", "true");
        await tab.ScreenshotAsync("submit");
    }

    [Fact]
    public async Task A_WrongToken_IsRefused_AndSigningOut_ForgetsTheToken()
    {
        await using var tab = await ConsolePage.OpenAsync(stack);
        await tab.Page.GotoAsync("/ui/");
        await tab.Page.GetByLabel("API token").FillAsync("cnd_not-a-real-token");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(tab.Page.Locator("#token-error")).ToHaveTextAsync("That token is unknown or revoked.");
        (await tab.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('conductor.token')")).Should().BeNull();
        await tab.ScreenshotAsync("sign-in");

        await tab.SignInAsync(stack.AliceToken);
        (await tab.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('conductor.token')")).Should().Be(stack.AliceToken);
        (await tab.Page.Context.CookiesAsync()).Should().BeEmpty("the console keeps no cookie");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(tab.Page.GetByLabel("API token")).ToBeVisibleAsync();
        (await tab.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('conductor.token')")).Should().BeNull();
        await tab.GoAsync("#/queue");
        await Assertions.Expect(tab.Page.Locator("#jobs")).ToHaveCountAsync(0);
    }

    private async Task<string> ApiMessageAsync(object body, string field)
    {
        var response = await stack.As(stack.AliceToken).Http.PostAsync("/jobs/submit", Attacks.RealApi.JsonBody(body));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return string.Join(" ", problem["errors"]![field]!.AsArray().Select(m => m!.GetValue<string>()));
    }
}
