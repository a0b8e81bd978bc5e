namespace Conductor.Worker.Execution;

/// <summary>A job this worker watches: what it holds and how to ask it to stop.</summary>
public sealed class RunningJob(long jobId, int attempt, int cores)
{
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _shutdown;

    public long JobId => jobId;
    public int Attempt => attempt;
    public int Cores => cores;

    /// <summary>Fires when the job must be stopped: a user's cancel or a killing shutdown.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>True when the stop comes from the worker shutting down rather than a user.</summary>
    public bool IsShutdownKill => _shutdown;

    public void RequestCancel() => Stop();

    public void RequestShutdownKill()
    {
        _shutdown = true;
        Stop();
    }

    private void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
