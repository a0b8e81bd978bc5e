namespace Conductor.Worker.Processes;

/// <summary>Starts a job's shell as <see cref="LaunchRequest"/> says : the seam between a supervisor and the OS (<see cref="SpawnerLauncher"/>).</summary>
public interface IProcessLauncher
{
    Task<LaunchedProcess> LaunchAsync(LaunchRequest request, CancellationToken ct);
}
