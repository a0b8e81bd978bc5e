using System.Diagnostics;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Spawning;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class BootTimeTicksTests
{
    [Fact]
    public void AChildsStartTime_InProc_LiesBetweenTheTicksReadJustBeforeAndAfterItsSpawn()
    {
        var sameTick = 0;
        for (var i = 0; i < 30; i++)
        {
            var before = LibC.BootTimeTicks();
            using var child = Process.Start(new ProcessStartInfo("sleep", ["5"]) { UseShellExecute = false })!;
            var after = LibC.BootTimeTicks();
            try
            {
                var started = ProcProcessProbe.ParseStartTicks(File.ReadAllText($"/proc/{child.Id}/stat"));
                started.Should().NotBeNull();
                started!.Value.Should().BeInRange(before, after, "the spawner takes a job's start time from this clock when both readings agree");
                if (before == after) sameTick++;
            }
            finally
            {
                child.Kill();
                child.WaitForExit();
            }
        }
        sameTick.Should().BePositive("a spawn takes far less than a tick (10 ms), so most readings agree");
    }
}
