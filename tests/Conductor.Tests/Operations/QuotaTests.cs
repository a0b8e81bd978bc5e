using System.Net;
using System.Net.Http.Json;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>Per-account quotas (max cores held, max running jobs, per partition) against a real 2-core worker.</summary>
public sealed class QuotaTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>, IAsyncLifetime
{
    private ConductorClient _admin = null!;

    public async Task InitializeAsync() => _admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "quota-admin", admin: true));

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("*", "max_running_jobs", "AssocMaxJobsLimit")]
    [InlineData("default", "max_cpus", "AssocGrpCpuLimit")]
    public async Task AJobOverItsAccountsQuota_Waits_WhileAnotherAccountsLaterJobRuns(string partition, string limit, string reason)
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var limited = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, $"quota-a-{tag}"));
        var other = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, $"quota-b-{tag}"));
        var set = await _admin.Http.PutAsJsonAsync($"/accounts/quota-a-{tag}/quota", new Dictionary<string, object> { ["partition"] = partition, [limit] = 1 });
        set.StatusCode.Should().Be(HttpStatusCode.OK, await set.Content.ReadAsStringAsync());

        var first = await limited.SubmitAsync(OpsKit.WaitForGo);
        await OpsKit.WaitSpawnedAsync(limited, first);
        var second = await limited.SubmitAsync("echo second");
        var others = await other.SubmitAsync(OpsKit.WaitForGo);
        await OpsKit.WaitSpawnedAsync(other, others);
        var held = await limited.QueryAsync(second);
        await OpsKit.Go(cluster, first);
        await OpsKit.Go(cluster, others);
        await limited.WaitForStateAsync(second, "COMPLETED");

        ConductorClient.State(held).Should().Be("PENDING", "its account's quota is used up, though the later job of another account got a core");
        held["reason"]!.GetValue<string>().Should().Be(reason);
        var own = await limited.GetJsonAsync($"/accounts/quota-a-{tag}/quota");
        own["quotas"]!.AsArray().Single()![limit]!.GetValue<int>().Should().Be(1, "an account reads its own quota");
        await _admin.Http.PutAsJsonAsync($"/accounts/quota-a-{tag}/quota", new { partition }); // no limits: removed
        (await limited.GetJsonAsync($"/accounts/quota-a-{tag}/quota"))["quotas"]!.AsArray().Should().BeEmpty();
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task OnlyAdminsSetQuotas_AndAnAccountReadsOnlyItsOwn()
    {
        var alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "quota-alice"));

        var raise = await alice.Http.PutAsJsonAsync("/accounts/quota-alice/quota", new { max_cpus = 1000 });
        var peek = await alice.Http.GetAsync("/accounts/quota-admin/quota");
        var bad = await _admin.Http.PutAsJsonAsync("/accounts/quota-alice/quota", new { max_cpus = -1, colour = "red" });

        raise.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        peek.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
