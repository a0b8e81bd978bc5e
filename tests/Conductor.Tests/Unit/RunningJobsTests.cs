using Microsoft.Extensions.Logging.Abstractions;
using Conductor.Worker.Messaging;
using Conductor.Worker.Supervision;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class RunningJobsTests
{
    [Fact]
    public void HeldCores_CountJobsBeingStartedAndRunning_ButNotAJobWhoseEndIsWritten()
    {
        var running = new RunningJobs(new WakeUps(), NullLogger<RunningJobs>.Instance);
        var starting = running.Add(1, 1, 2);
        var ended = running.Add(2, 1, 1);
        running.Track(ended, new TaskCompletionSource().Task);

        running.HeldCores.Should().Be(3);

        ended.Finished = true; // its supervision has steps left, but its cores are free
        running.HeldCores.Should().Be(2);
        running.Track(starting, new TaskCompletionSource().Task);
        running.HeldCores.Should().Be(2);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task AJobThatEnds_WakesTheDispatcher_UnlessItsFinishAlreadyClaimedForItsCores(bool reoffered, bool woken)
    {
        var wakeUps = new WakeUps();
        var running = new RunningJobs(wakeUps, NullLogger<RunningJobs>.Instance);
        var run = running.Add(1, 1, 1);
        var supervision = new TaskCompletionSource();
        var tracked = running.Track(run, supervision.Task);

        run.CoresReoffered = reoffered;
        supervision.SetResult();
        await tracked;

        running.Count.Should().Be(0);
        (await wakeUps.WaitAsync(TimeSpan.Zero, CancellationToken.None)).Should().Be(woken);
    }
}
