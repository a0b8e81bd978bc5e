using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>The <c>Idempotency-Key</c> header: the same key answers the same job, even under racing retries.</summary>
public sealed class IdempotencyTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    private async Task<(HttpStatusCode Status, string? JobId)> SubmitWithKeyAsync(string key, string script)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs/submit")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { job = new { }, script }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await cluster.Client.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonNode.Parse(body)!["job_id"]!.GetValue<string>() : body);
    }

    [Fact]
    public async Task ConcurrentSubmits_WithOneIdempotencyKey_CreateExactlyOneJob()
    {
        var key = $"race-{Guid.NewGuid():N}";

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => SubmitWithKeyAsync(key, "echo once"))));

        answers.Should().OnlyContain(a => a.Status == HttpStatusCode.Created, "a retried submit is answered like the first one");
        answers.Select(a => a.JobId).Distinct().Should().ContainSingle("all eight racing requests name the same job");
        // Keys are stored hashed with the account ("default" here, authentication being off).
        var stored = Conductor.Core.Accounts.TokenSecret.Hash($"default\n{key}");
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE idempotency_key = '{stored}'"))
            .Should().Be(1, "the unique index lets only one row in");
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {answers[0].JobId}"))
            .Should().Be(1, "the losers' rolled-back inserts leave no events behind");
    }

    [Fact]
    public async Task SubmitsWithDifferentKeys_CreateDifferentJobs()
    {
        var first = await SubmitWithKeyAsync($"a-{Guid.NewGuid():N}", "true");
        var second = await SubmitWithKeyAsync($"b-{Guid.NewGuid():N}", "true");

        first.JobId.Should().NotBe(second.JobId, "a key identifies one submission, not every submission");
    }

    [Fact]
    public async Task IdempotencyKey_LongerThan200Characters_IsRejected()
    {
        var answer = await SubmitWithKeyAsync(new string('k', 201), "true");

        answer.Status.Should().Be(HttpStatusCode.BadRequest);
    }
}
