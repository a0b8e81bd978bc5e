using System.Globalization;
using Mono.Unix.Native;

namespace Conductor.Worker.Processes.Cgroups;

/// <summary>
/// One job's cgroup: the slot <see cref="Slot"/>'s directory in each controller's hierarchy, held by
/// that job alone, root-owned. A job cannot leave it (it may not write to any <c>cgroup.procs</c>),
/// so its processes are exactly the members listed here, whatever sessions or parents they have.
/// <see cref="OomKillsBefore"/> and <see cref="CpuUsecBefore"/> are the slot's counters when the job
/// took it (slots are reused; v1 counters that can be reset are reset instead).
/// </summary>
public sealed record JobCgroup(string Slot, bool V2, IReadOnlyDictionary<CgroupController, string> Dirs, long OomKillsBefore, long CpuUsecBefore)
{
    public string? Dir(CgroupController c) => Dirs.GetValueOrDefault(c);

    /// <summary>The members are read where the kill happens (the freezer), else from any of the job's cgroups.</summary>
    private string MembersFile => Path.Combine(Dir(CgroupController.Freezer) ?? Dir(CgroupController.Pids) ?? Dirs.Values.First(), "cgroup.procs");

    /// <summary>The pids of the job's live processes (exited ones not yet reaped are not listed).</summary>
    public List<int> Members()
    {
        var pids = new List<int>();
        try
        {
            foreach (var line in File.ReadAllText(MembersFile).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(line, CultureInfo.InvariantCulture, out var pid)) pids.Add(pid);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // the slot is gone: so are its processes
        }
        return pids;
    }

    public bool IsEmpty => Members().Count == 0;

    /// <summary>Sends <paramref name="signal"/> to every process of the job; one that is already gone is no error.</summary>
    public void SignalAll(Signum signal)
    {
        foreach (var pid in Members())
            if (pid > 1) Syscall.kill(pid, signal);
    }

    /// <summary>
    /// Kills every process of the job and waits until none is left (at most <paramref name="patience"/>).
    /// v2: cgroup.kill. v1: freeze the cgroup, so nothing forks between the listing and the kill,
    /// SIGKILL every member, thaw (frozen processes die once thawed); again until it is empty.
    /// Without a freezer, kill what is listed until nothing is.
    /// </summary>
    public async Task<bool> KillAllAsync(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        var freezer = V2 ? null : Dir(CgroupController.Freezer);
        for (var round = 0; ; round++)
        {
            var members = Members();
            if (members.Count == 0) return true;
            if (DateTime.UtcNow > deadline) return false;
            if (V2 && Dir(CgroupController.Freezer) is { } dir) CgroupLayout.TryWrite(Path.Combine(dir, "cgroup.kill"), "1");
            else if (freezer is not null) await FreezeAndKillAsync(freezer);
            else SignalAll(Signum.SIGKILL);
            // Killed processes take a moment to exit and leave the list.
            await Task.Delay(round == 0 ? 5 : 50);
        }
    }

    private async Task FreezeAndKillAsync(string freezer)
    {
        var state = Path.Combine(freezer, "freezer.state");
        try
        {
            File.WriteAllText(state, "FROZEN");
            for (var i = 0; i < 100 && File.ReadAllText(state).Trim() != "FROZEN"; i++)
                await Task.Delay(10);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not frozen: killed all the same, and again in the next round for what forked meanwhile.
        }
        finally
        {
            SignalAll(Signum.SIGKILL);
            CgroupLayout.TryWrite(state, "THAWED");
        }
    }

    /// <summary>The cgroup's record line in the job's control directory: attempt, counters at start, slot name.</summary>
    public string Record(int attempt) => string.Create(CultureInfo.InvariantCulture, $"{attempt} {OomKillsBefore} {CpuUsecBefore} {Slot}\n");
}
