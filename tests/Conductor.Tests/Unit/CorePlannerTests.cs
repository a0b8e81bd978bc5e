using Conductor.Core.Scheduling;

namespace Conductor.Tests.Unit;

public sealed class CorePlannerTests
{
    private static readonly int[] FourCores = [0, 1, 2, 3];

    [Fact]
    public void FillsFreeCores_InQueueOrder_WithDistinctCoreIds()
    {
        var plan = CorePlanner.Plan(FourCores, 8192, [1], 0, false,
            [new(1, 1, 100, false), new(2, 2, 100, false), new(3, 1, 100, false)]);

        plan.Select(p => p.JobId).Should().Equal(1, 2);
        plan.SelectMany(p => p.CpuIds).Should().OnlyHaveUniqueItems().And.NotContain(1, "core 1 is busy");
        plan.Sum(p => p.CpuIds.Length).Should().Be(3);
    }

    [Fact]
    public void StopsAtTheFirstJobThatDoesNotFit_SoSmallerJobsCannotStarveIt()
    {
        var plan = CorePlanner.Plan(FourCores, 8192, [0, 1, 2], 0, false,
            [new(1, 2, 100, false), new(2, 1, 100, false)]);

        plan.Should().BeEmpty("the 2-core job at the head waits and keeps its place");
    }

    [Fact]
    public void SkipsJobsThatCanNeverFitThisNode()
    {
        var plan = CorePlanner.Plan(FourCores, 8192, [], 0, false, [new(1, 8, 100, false), new(2, 1, 100, false)]);

        plan.Select(p => p.JobId).Should().Equal(2);
    }

    [Fact]
    public void MemoryIsReservedLikeCores()
    {
        var plan = CorePlanner.Plan(FourCores, 1000, [], 600, false, [new(1, 1, 300, false), new(2, 1, 300, false)]);

        plan.Select(p => p.JobId).Should().Equal(1);
    }

    [Fact]
    public void ExclusiveJob_TakesTheWholeNode_OnlyWhenItIsEmpty()
    {
        CorePlanner.Plan(FourCores, 8192, [2], 0, false, [new(1, 1, 100, true)]).Should().BeEmpty();
        var plan = CorePlanner.Plan(FourCores, 8192, [], 0, false, [new(1, 1, 100, true), new(2, 1, 100, false)]);
        plan.Should().ContainSingle().Which.CpuIds.Should().Equal(0, 1, 2, 3);
        CorePlanner.Plan(FourCores, 8192, [0], 0, true, [new(3, 1, 100, false)]).Should().BeEmpty("the node is held exclusively");
    }
}
