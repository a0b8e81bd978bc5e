using Conductor.Core.Jobs;

namespace Conductor.Worker.Recovery;

/// <summary>
/// A RUNNING job whose process recovery found alive (pid, start time and boot id match): the
/// dispatcher watches it again, and stops it at once when a cancel arrived while no worker ran.
/// </summary>
public sealed record Adoption(Job Job, int Cores, int Pid, long StartTicks, string BootId, bool Cancel);
