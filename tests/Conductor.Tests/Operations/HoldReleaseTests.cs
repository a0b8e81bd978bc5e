using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>Hold and release (user and admin holds), against a real one-core worker.</summary>
public sealed class HoldReleaseTests(OneCoreTokenClusterFixture cluster) : IClassFixture<OneCoreTokenClusterFixture>, IAsyncLifetime
{
    private ConductorClient _admin = null!, _alice = null!, _mallory = null!;

    public async Task InitializeAsync()
    {
        _admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "hold-admin", admin: true));
        _alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "hold-alice"));
        _mallory = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "hold-mallory"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task HeldJob_StaysPendingPastFreeCores_AndOnceReleased_RunsBeforeLaterSubmits()
    {
        var held = await _alice.SubmitAsync("echo held", new { hold = true });
        var probe = await _alice.SubmitAsync("echo probe");
        await _alice.WaitForStateAsync(probe, "COMPLETED");
        var whileHeld = await _alice.QueryAsync(held);
        var blocker = await _alice.SubmitAsync(OpsKit.WaitForGo);
        await OpsKit.WaitSpawnedAsync(_alice, blocker);
        var later = await _alice.SubmitAsync("echo later");

        var (status, body) = await OpsKit.PostAsync(_alice, $"/jobs/{held}/release");
        await OpsKit.Go(cluster, blocker);
        await _alice.WaitForStateAsync(held, "COMPLETED");
        await _alice.WaitForStateAsync(later, "COMPLETED");

        ConductorClient.State(whileHeld).Should().Be("PENDING", "a held job is not claimed although a later job ran on the free core");
        whileHeld["reason"]!.GetValue<string>().Should().Be("Held");
        whileHeld["hold"]!.GetValue<string>().Should().Be("user", "submitted held (sbatch -H) is a user hold");
        status.Should().Be(HttpStatusCode.OK, body?.ToJsonString());
        var order = await cluster.Database.ScalarAsync<long[]>(
            $"SELECT array_agg(job_id ORDER BY id) FROM job_events WHERE to_state = 'RUNNING' AND job_id IN ({held}, {later})");
        order.Should().Equal([long.Parse(held), long.Parse(later)], "a released job keeps its original place in the queue");
        (await OpsKit.EventsAsync(_alice, held)).Select(e => e["reason"]!.GetValue<string>()).Should().ContainInOrder("Submitted", "Released", "Claimed");
    }

    [Fact]
    public async Task AdminHold_CannotBeReleasedByTheJobsAccount_OnlyByAnAdmin()
    {
        var blocker = await _alice.SubmitAsync(OpsKit.WaitForGo);
        var job = await _alice.SubmitAsync("echo x");
        try
        {
            var hold = await OpsKit.PostAsync(_admin, $"/jobs/{job}/hold");
            var userRelease = await OpsKit.PostAsync(_alice, $"/jobs/{job}/release");
            var userHoldOverAdmin = await OpsKit.PostAsync(_alice, $"/jobs/{job}/hold");
            var stillHeld = await _alice.QueryAsync(job);
            var adminRelease = await OpsKit.PostAsync(_admin, $"/jobs/{job}/release");
            var again = await OpsKit.PostAsync(_admin, $"/jobs/{job}/release");

            hold.Status.Should().Be(HttpStatusCode.OK);
            hold.Body!["hold"]!.GetValue<string>().Should().Be("admin");
            userRelease.Status.Should().Be(HttpStatusCode.Forbidden, "only an admin releases an admin hold");
            userRelease.Body!["field"]!.GetValue<string>().Should().Be("id");
            userHoldOverAdmin.Status.Should().Be(HttpStatusCode.OK, "holding a held job is a no-op");
            stillHeld["hold"]!.GetValue<string>().Should().Be("admin", "a user's hold does not turn an admin hold into its own");
            adminRelease.Status.Should().Be(HttpStatusCode.OK);
            again.Status.Should().Be(HttpStatusCode.OK, "release is idempotent");
            again.Body!["msg"]!.GetValue<string>().Should().Contain("not held");
        }
        finally
        {
            await OpsKit.Go(cluster, blocker);
        }
        await _alice.WaitForStateAsync(job, "COMPLETED");
    }

    [Fact]
    public async Task AnotherAccount_CannotHoldReleaseOrRequeue_AJobNotItsOwn()
    {
        var job = await _alice.SubmitAsync("echo mine", new { hold = true });
        var anonymous = new ConductorClient(cluster.Api.CreateClient());

        foreach (var action in new[] { "hold", "release", "requeue" })
        {
            (await OpsKit.PostAsync(_mallory, $"/jobs/{job}/{action}")).Status.Should().Be(HttpStatusCode.NotFound, $"{action} of another account's job");
            (await OpsKit.PostAsync(anonymous, $"/jobs/{job}/{action}")).Status.Should().Be(HttpStatusCode.Unauthorized, $"{action} without a token");
        }
        (await OpsKit.PostAsync(_alice, $"/jobs/{job}/hold?kind=admin")).Status.Should().Be(HttpStatusCode.Forbidden, "only admins place admin holds");
        (await OpsKit.PostAsync(_alice, $"/jobs/{job}/hold?kind=forever")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await _alice.QueryAsync(job))["hold"]!.GetValue<string>().Should().Be("user", "nothing the others did changed it");
        (await OpsKit.PostAsync(_alice, $"/jobs/{job}/release")).Status.Should().Be(HttpStatusCode.OK);
        var done = await _alice.WaitForStateAsync(job, "COMPLETED");
        (await OpsKit.PostAsync(_alice, $"/jobs/{job}/hold")).Status.Should().Be(HttpStatusCode.Conflict, "a finished job cannot be held");
        done["hold"].Should().BeNull();
    }
}
