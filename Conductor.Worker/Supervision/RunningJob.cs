namespace Conductor.Worker.Supervision;

/// <summary>A job this worker watches: what it holds and how to ask it to stop.</summary>
public sealed class RunningJob(long jobId, int attempt, int cores)
{
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _shutdown;
    private volatile bool _requeue;

    public long JobId => jobId;
    public int Attempt => attempt;
    public int Cores => cores;

    /// <summary>Fires when the job must be stopped: a user's cancel or requeue, or a killing shutdown.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>True when the stop comes from the worker shutting down rather than a user.</summary>
    public bool IsShutdownKill => _shutdown;

    /// <summary>True when the stop is a requeue: the job goes back in line as a new attempt.</summary>
    public bool IsRequeue => _requeue;

    /// <summary>
    /// Set when the job's finish already claimed for the cores it frees (and did not fill its
    /// window): the dispatcher then need not be woken to look again when the job is gone.
    /// </summary>
    public bool CoresReoffered { get; set; }

    /// <summary>
    /// Set once the job's end is written: its cores are free from then on, though its supervision
    /// has a few steps left. Another job's finish written in between must see them free, or it
    /// claims nothing for its own cores and leaves that to an extra dispatch cycle.
    /// </summary>
    public bool Finished { get => _finished; set => _finished = value; }

    private volatile bool _finished;

    public void RequestCancel() => Stop();

    public void RequestRequeue()
    {
        _requeue = true;
        Stop();
    }

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
