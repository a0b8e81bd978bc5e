using Conductor.Core.Jobs;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class JobTransitionsTests
{
    public static TheoryData<JobState, JobState, bool> Moves()
    {
        var allowed = new HashSet<(JobState, JobState)>
        {
            (JobState.Pending, JobState.Running), (JobState.Pending, JobState.Cancelled), (JobState.Pending, JobState.Failed),
            (JobState.Running, JobState.Completed), (JobState.Running, JobState.Failed), (JobState.Running, JobState.Cancelled),
            (JobState.Running, JobState.Pending),
        };
        var data = new TheoryData<JobState, JobState, bool>();
        foreach (var from in Enum.GetValues<JobState>())
            foreach (var to in Enum.GetValues<JobState>())
                data.Add(from, to, allowed.Contains((from, to)));
        return data;
    }

    [Theory]
    [MemberData(nameof(Moves))]
    public void EveryPairOfStates_IsAllowedOnlyAsTheContractSays(JobState from, JobState to, bool allowed) =>
        JobTransitions.IsAllowed(from, to).Should().Be(allowed, $"{from} -> {to}");

    [Theory]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Failed)]
    [InlineData(JobState.Cancelled)]
    public void TerminalStates_NeverChangeAgain(JobState terminal)
    {
        terminal.IsTerminal().Should().BeTrue();
        Enum.GetValues<JobState>().Should().OnlyContain(to => !JobTransitions.IsAllowed(terminal, to));
    }

    [Fact]
    public void WireNames_AreTheFiveScnsStates() =>
        Enum.GetValues<JobState>().Select(s => s.ToWire()).Should().Equal("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED");
}
