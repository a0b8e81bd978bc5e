using Conductor.Core.Recovery;
using Conductor.Worker.Processes;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class RecoveryRulesTests
{
    [Theory]
    [InlineData(true, true, null, false, RecoveryAction.Adopt)]
    [InlineData(true, true, null, true, RecoveryAction.AdoptAndCancel)]
    [InlineData(true, false, 0, false, RecoveryAction.FinishFromExitStatus)]
    [InlineData(true, false, 3, true, RecoveryAction.FinishFromExitStatus)]
    [InlineData(true, false, null, false, RecoveryAction.FailOrphaned)]
    [InlineData(true, false, null, true, RecoveryAction.FailOrphaned)]
    [InlineData(false, false, null, false, RecoveryAction.Requeue)]
    [InlineData(false, false, null, true, RecoveryAction.CancelNeverStarted)]
    public void EachObservation_MapsToTheDesignedAction(bool hasPid, bool alive, int? exit, bool cancel, RecoveryAction expected) =>
        RecoveryRules.Decide(new RecoveryObservation(hasPid, alive, exit, cancel)).Should().Be(expected);

    [Theory]
    [InlineData("1234 (bash) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100", 987654L)]
    [InlineData("77 (we ird) name) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 1 1", 42L)]
    [InlineData("77 (zombie) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 1 1", null)]
    public void StartTime_IsField22_EvenWithSpacesAndParensInTheName(string stat, long? expected) =>
        ProcProcessProbe.ParseStartTicks(stat).Should().Be(expected);
}
