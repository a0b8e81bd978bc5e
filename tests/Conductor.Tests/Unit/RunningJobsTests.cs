using Conductor.Worker.Dispatch;
using Conductor.Worker.Execution;
using Conductor.Worker.Messaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conductor.Tests.Unit;

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

public sealed class SharedDelayTests
{
    [Fact]
    public async Task Delays_AskedWithinOneTick_ShareOneTimer_AndNoneEndsEarly()
    {
        var delays = new SharedDelay(TimeSpan.FromSeconds(10));

        var first = delays.AtLeast(TimeSpan.FromMilliseconds(50));
        var second = delays.AtLeast(TimeSpan.FromMilliseconds(60));

        second.Should().BeSameAs(first, "both fall due within the same 10 s tick");
        var shortTicks = new SharedDelay(TimeSpan.FromMilliseconds(20));
        var asked = System.Diagnostics.Stopwatch.StartNew();
        await shortTicks.AtLeast(TimeSpan.FromMilliseconds(100));
        asked.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(95), "a shared delay never ends before the delay asked for (timer resolution aside)");
    }
}
