using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Tests.Attacks;

/// <summary>
/// Alice (an account token) aims at Bob's jobs through the real API process: a dependency on one
/// of them, and every job endpoint. Each must answer exactly as for a job that does not exist, so
/// alice cannot even learn that the id is taken; Bob's jobs are left as they were.
/// </summary>
public sealed class ApiEdgeOwnershipAttackTests(TokenApi api) : IClassFixture<TokenApi>
{
    public static TheoryData<string> Dependencies => new() { "afterok:{target}", "afterany:{target}", "afternotok:{target}", "afterok:{own}:{target}" };

    [Theory]
    [MemberData(nameof(Dependencies))]
    public async Task DependencyOnAnotherAccountsJob_IsRefusedExactlyLikeOneOnAMissingJob(string dependency)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var onBob = await api.Alice.PostAsync("/jobs/submit", RealApi.JsonBody(new { job = new { dependency = api.Expand(dependency, api.BobPending) }, script = "true" }));
        var onNothing = await api.Alice.PostAsync("/jobs/submit", RealApi.JsonBody(new { job = new { dependency = api.Expand(dependency, api.Missing) }, script = "true" }));

        onBob.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a dependency on someone else's job is refused");
        onBob.StatusCode.Should().Be(onNothing.StatusCode);
        (await api.ShapeAsync(onBob, api.BobPending)).Should().Be(await api.ShapeAsync(onNothing, api.Missing),
            "the answer must not tell a taken id from a free one");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "nothing was submitted");
    }

    [Fact]
    public async Task BulkDependencyOnAnotherAccountsJob_IsRefusedExactlyLikeOneOnAMissingJob()
    {
        object Bulk(long target) => new object[] { new { job = new { }, script = "true" }, new { job = new { dependency = $"afterok:{target}" }, script = "true" } };

        var onBob = await api.Alice.PostAsync("/jobs/submit/bulk", RealApi.JsonBody(Bulk(api.BobPending)));
        var onNothing = await api.Alice.PostAsync("/jobs/submit/bulk", RealApi.JsonBody(Bulk(api.Missing)));

        onBob.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await api.ShapeAsync(onBob, api.BobPending)).Should().Be(await api.ShapeAsync(onNothing, api.Missing));
    }

    [Fact]
    public async Task DependencyOnOwnJob_OrByAnAdmin_IsAccepted()
    {
        await RealApi.SubmitAsync(api.Alice, new { dependency = $"afterok:{api.AlicePending}" });
        await RealApi.SubmitAsync(api.Bob, new { dependency = $"afterany:{api.BobPending}" });
        await RealApi.SubmitAsync(api.Admin, new { account = "alice", dependency = $"afterok:{api.BobPending}" });
    }

    public static TheoryData<string, string> Actions => new()
    {
        { "GET", "/jobs/query/{id}" }, { "POST", "/jobs/cancel/{id}" }, { "POST", "/jobs/resubmit/{id}" },
        { "GET", "/jobs/{id}/logs" }, { "GET", "/jobs/{id}/logs?follow=true" }, { "GET", "/jobs/{id}/events" },
    };

    [Theory]
    [MemberData(nameof(Actions))]
    public async Task ActionOnAnotherAccountsJob_AnswersAsForAMissingJob_AndLeavesItAlone(string method, string path)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        foreach (var target in new[] { api.BobPending, api.BobFinished })
        {
            var onBob = await api.Alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", target.ToString())));
            var onNothing = await api.Alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", api.Missing.ToString())));

            onBob.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{method} {path} on bob's job {target}");
            (await api.ShapeAsync(onBob, target)).Should().Be(await api.ShapeAsync(onNothing, api.Missing), $"{method} {path}");
        }
        (await api.Database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {api.BobPending}")).Should().Be("PENDING", "bob's job was not cancelled");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "nothing was resubmitted");
        (await api.Bob.GetAsync($"/jobs/query/{api.BobPending}")).StatusCode.Should().Be(HttpStatusCode.OK, "bob still sees his job");
    }

    [Fact]
    public async Task TokenRevoke_SaysTheRevocationTakesEffectWithinTheCacheTime()
    {
        var id = await api.CreateTokenAsync("carol");

        var (code, output) = await ApiProcess.RunAsync(api.Database.ConnectionString, "token", "revoke", id.ToString());

        code.Should().Be(0, output);
        output.Should().Contain("takes effect within 30 s", "a revoked token keeps working while APIs have it cached");
    }
}

/// <summary>The real API process with authentication on: tokens for alice, bob and an admin, and jobs of each.</summary>
public sealed class TokenApi : IAsyncLifetime
{
    private ApiProcess _process = null!;
    public TestDatabase Database { get; private set; } = null!;
    public HttpClient Alice { get; private set; } = null!;
    public HttpClient Bob { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public long AlicePending { get; private set; }
    public long BobPending { get; private set; }
    public long BobFinished { get; private set; }
    public long Missing => BobFinished + 1_000_000;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var secrets = new Dictionary<string, string>();
        foreach (var (account, admin) in new[] { ("alice", false), ("bob", false), ("ops", true) })
            secrets[account] = (await CreateAsync(account, admin)).Secret;
        HttpClient client;
        (_process, client, var port) = await RealApi.StartAsync(Database.ConnectionString);
        client.Dispose();
        HttpClient For(string account) => new()
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"), DefaultRequestHeaders = { Authorization = new("Bearer", secrets[account]) },
        };
        (Alice, Bob, Admin) = (For("alice"), For("bob"), For("ops"));
        AlicePending = await RealApi.SubmitAsync(Alice);
        BobPending = await RealApi.SubmitAsync(Bob);
        BobFinished = await RealApi.SubmitAsync(Bob);
        await Database.ExecuteAsync($"UPDATE jobs SET state = 'COMPLETED', start_time = now(), end_time = now() WHERE id = {BobFinished}");
    }

    public async Task<long> CreateTokenAsync(string account) => (await CreateAsync(account, false)).Id;

    private async Task<(long Id, string Secret)> CreateAsync(string account, bool admin)
    {
        await using var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddConductorStorage(Database.ConnectionString).BuildServiceProvider();
        var (token, secret) = await services.GetRequiredService<TokenStore>().CreateAsync(account, admin, CancellationToken.None);
        return (token.Id, secret);
    }

    public string Expand(string dependency, long target) => dependency.Replace("{target}", target.ToString()).Replace("{own}", AlicePending.ToString());

    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Status, content type and body with the target id and the per-request trace id blanked.</summary>
    public async Task<string> ShapeAsync(HttpResponseMessage response, long target)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        body.Remove("traceId");
        body.Remove("trace_id");
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {System.Text.RegularExpressions.Regex.Replace(body.ToJsonString(Readable), $"(?<![0-9]){target}(?![0-9])", "<id>")}";
    }

    public async Task DisposeAsync()
    {
        foreach (var http in new[] { Alice, Bob, Admin }) http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}
