namespace Conductor.Worker.Processes;

/// <summary>The unprivileged Unix user a job's process runs as.</summary>
public sealed record JobUser(string Name, long Uid, long Gid, string Home);
