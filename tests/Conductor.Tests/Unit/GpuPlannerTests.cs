using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Conductor.Core.Scheduling;

namespace Conductor.Tests.Unit;

/// <summary>GPUs planned beside cores: distinct devices, models, exclusive and backfill.</summary>
[Trait("Category", "Unit")]
public sealed class GpuPlannerTests
{
    private static readonly int[] FourCores = [0, 1, 2, 3];
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    private static readonly NodeDevice[] TwoA100 = [new(0, "a100"), new(1, "a100")];

    private static NodeView Node(NodeDevice[] devices, int[] busyCores, int[] busyGpus, params RunningSlot[] running) =>
        new(FourCores, 8192, busyCores, 0, false, running) { Devices = devices, BusyGpus = busyGpus };

    private static Candidate Job(long id, int gpus, string? model = null, bool exclusive = false, int? limit = null) =>
        new(id, 1, 100, exclusive, limit) { Gpus = new GresRequest(gpus, model) };

    [Fact]
    public void TwoOneGpuJobs_GetDifferentDevices_AndAThirdWaits()
    {
        var plan = CorePlanner.Plan(Node(TwoA100, [], []), [Job(1, 1), Job(2, 1), Job(3, 1)], Now);

        plan.Select(p => p.JobId).Should().Equal(1, 2);
        plan.SelectMany(p => p.GpuIds).Should().Equal(0, 1);
    }

    [Fact]
    public void BusyDevices_AreNeverHandedOutAgain()
    {
        var plan = CorePlanner.Plan(Node(TwoA100, [0], [0], new RunningSlot(1, null) { GpuIds = [0] }), [Job(1, 1), Job(2, 1)], Now);

        plan.Should().ContainSingle().Which.GpuIds.Should().Equal(1);
    }

    [Fact]
    public void AModelQualifiedRequest_TakesOnlyDevicesOfThatModel_AVariantIncluded()
    {
        NodeDevice[] mixed = [new(0, "v100"), new(1, "a100-sxm4-40gb"), new(2, "a1000")];

        var plan = CorePlanner.Plan(Node(mixed, [], []), [Job(1, 1, "a100")], Now);

        plan.Should().ContainSingle().Which.GpuIds.Should().Equal(1);
        CorePlanner.Plan(Node(mixed, [], []), [Job(1, 2, "a100")], Now).Should().BeEmpty("only one device is an a100");
    }

    [Fact]
    public void AJobWithoutGpus_RunsOnAGpuNode_WithoutTakingAny()
    {
        CorePlanner.Plan(Node(TwoA100, [], []), [Job(1, 0)], Now).Should().ContainSingle().Which.GpuIds.Should().BeEmpty();
    }

    [Fact]
    public void AGpuJob_NeverFitsANodeWithoutGpus_AndDoesNotHoldBackTheQueue()
    {
        var plan = CorePlanner.Plan(Node([], [], []), [Job(1, 1), Job(2, 0)], Now);

        plan.Select(p => p.JobId).Should().Equal([2L], "another node may take the GPU job; this one runs what it can");
    }

    [Fact]
    public void AnExclusiveJob_HoldsEveryDevice_AndWaitsWhileOneIsHeld()
    {
        CorePlanner.Plan(Node(TwoA100, [], []), [Job(1, 0, exclusive: true)], Now).Single().GpuIds.Should().Equal(0, 1);
        CorePlanner.Plan(Node(TwoA100, [], [1], new RunningSlot(0, null) { GpuIds = [1] }), [Job(1, 0, exclusive: true)], Now)
            .Should().BeEmpty("a device is held although every core is free");
    }

    [Fact]
    public void AJobWaitingForDevices_IsNotDelayedByABackfilledGpuJob_ButCpuOnlyJobsMayBackfill()
    {
        // GPU 0 is held until +10 min; job 1 needs both GPUs and gets the reservation.
        var node = Node(TwoA100, [0], [0], new RunningSlot(1, Now.AddMinutes(10)) { GpuIds = [0] });

        var plan = CorePlanner.Plan(node, [Job(1, 2), Job(2, 1, limit: 3600), Job(3, 0, limit: 3600)], Now);

        plan.Select(p => p.JobId).Should().Equal([3L], "job 2 would hold GPU 1 past the reservation; job 3 needs no GPU");
    }

    [Fact]
    public void AShortGpuJob_BackfillsBeforeTheReservation()
    {
        var node = Node(TwoA100, [0], [0], new RunningSlot(1, Now.AddMinutes(10)) { GpuIds = [0] });

        var plan = CorePlanner.Plan(node, [Job(1, 2), Job(2, 1, limit: 60)], Now);

        plan.Should().ContainSingle().Which.GpuIds.Should().Equal(1);
    }
}
