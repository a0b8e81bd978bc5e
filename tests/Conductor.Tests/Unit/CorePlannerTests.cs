using Conductor.Core.Scheduling;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class CorePlannerTests
{
    private static readonly int[] FourCores = [0, 1, 2, 3];
    private static readonly DateTime Now = new(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);

    private static NodeView Node(int[] busy, params RunningSlot[] running) =>
        new(FourCores, 8192, busy, 0, false, running);

    [Fact]
    public void FillsFreeCores_InQueueOrder_WithDistinctCoreIds()
    {
        var plan = CorePlanner.Plan(Node([1], new RunningSlot(1, null)),
            [new(1, 1, 100, false), new(2, 2, 100, false), new(3, 1, 100, false)], Now);

        plan.Select(p => p.JobId).Should().Equal(1, 2);
        plan.SelectMany(p => p.CpuIds).Should().OnlyHaveUniqueItems().And.NotContain(1, "core 1 is busy");
    }

    [Fact]
    public void BlockedHeadJob_WithUnboundedRunningJobs_StopsPlanning_SoSmallerJobsCannotStarveIt()
    {
        var plan = CorePlanner.Plan(Node([0, 1, 2], new RunningSlot(3, null)),
            [new(1, 2, 100, false), new(2, 1, 100, false, 60)], Now);

        plan.Should().BeEmpty("nobody knows when the 2-core job could start, so nothing may overtake it");
    }

    [Fact]
    public void Backfill_StartsASmallJobThatEndsBeforeTheReservedSlot()
    {
        // 3 cores busy until +10 min; the 2-core head job is reserved for +10 min.
        var plan = CorePlanner.Plan(Node([0, 1, 2], new RunningSlot(3, Now.AddMinutes(10))),
            [new(1, 2, 100, false, 600), new(2, 1, 100, false, 300), new(3, 1, 100, false, 3600)], Now);

        plan.Select(p => p.JobId).Should().Equal([2], "a 5-minute job fits before the slot; a 1-hour one would delay it");
    }

    [Fact]
    public void Backfill_UsesOnlyCoresTheReservedJobWillNotNeed_ForLongJobs()
    {
        // Two cores free now, two busy until +10 min: at the shadow time 4 are free, the head needs 3, 1 is spare.
        var plan = CorePlanner.Plan(Node([0, 1], new RunningSlot(2, Now.AddMinutes(10))),
            [new(1, 3, 100, false), new(2, 1, 100, false, 7200), new(3, 1, 100, false, 7200)], Now);

        plan.Select(p => p.JobId).Should().Equal([2], "one long job fits on the spare core; a second would delay the head");
    }

    [Fact]
    public void SkipsJobsThatCanNeverFitThisNode()
    {
        var plan = CorePlanner.Plan(Node([]), [new(1, 8, 100, false), new(2, 1, 100, false)], Now);

        plan.Select(p => p.JobId).Should().Equal(2);
    }

    [Fact]
    public void MemoryIsReservedLikeCores()
    {
        var node = new NodeView(FourCores, 1000, [], 600, false, []);

        CorePlanner.Plan(node, [new(1, 1, 300, false), new(2, 1, 300, false)], Now).Select(p => p.JobId).Should().Equal(1);
    }

    [Fact]
    public void ExclusiveJob_TakesTheWholeNode_OnlyWhenItIsEmpty()
    {
        CorePlanner.Plan(Node([2], new RunningSlot(1, null)), [new(1, 1, 100, true)], Now).Should().BeEmpty();
        var plan = CorePlanner.Plan(Node([]), [new(1, 1, 100, true), new(2, 1, 100, false)], Now);
        plan.Should().ContainSingle().Which.CpuIds.Should().Equal(0, 1, 2, 3);
        CorePlanner.Plan(new NodeView(FourCores, 8192, [0], 0, true, [new RunningSlot(4, null)]), [new(3, 1, 100, false)], Now)
            .Should().BeEmpty("the node is held exclusively");
    }
}
