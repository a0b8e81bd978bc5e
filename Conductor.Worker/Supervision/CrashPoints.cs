using Conductor.Worker.Processes;
namespace Conductor.Worker.Supervision;

/// <summary>
/// Test-only fault injection: with <c>CONDUCTOR_FAULT_POINT=&lt;name&gt;</c> the worker SIGKILLs itself
/// when it reaches that checkpoint, so crash tests can stop it in each window of the
/// claim → spawn → record pid → wait → finish path.
/// </summary>
public static class CrashPoints
{
    public const string AfterClaim = "after-claim";      // RUNNING + allocation committed, nothing spawned
    public const string AfterSpawn = "after-spawn";      // process running, pid not yet in the database
    public const string AfterRecord = "after-record";    // pid recorded, job running
    public const string BeforeFinish = "before-finish";  // process exited, outcome not yet written
    public const string AfterFinish = "after-finish";    // outcome written, allocation released

    public static readonly string[] All = [AfterClaim, AfterSpawn, AfterRecord, BeforeFinish, AfterFinish];

    private static readonly string? Armed = Environment.GetEnvironmentVariable("CONDUCTOR_FAULT_POINT");

    public static void Hit(string point)
    {
        if (Armed == point) ProcessGroups.KillSelf();
    }
}
