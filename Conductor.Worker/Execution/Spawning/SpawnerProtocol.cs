namespace Conductor.Worker.Execution.Spawning;

/// <summary>
/// A job for the spawner to start: the program and its full argv and environment, the directory
/// it starts in, the CPUs it is pinned to, the file its early stdout/stderr go to, and the job's
/// pid and exit-status files, which the spawner writes itself. <see cref="Uid"/>/<see cref="Gid"/>
/// are the job user's (-1: keep the spawner's, which is then not root); <see cref="Cgroups"/> the
/// job's cgroup directories and how the child gets into them.
/// </summary>
public sealed record SpawnRequest(
    int Id, string Program, IReadOnlyList<string> Argv, IReadOnlyList<string> Environment, string WorkingDirectory,
    IReadOnlyList<int> Cpus, string LogFile, string PidFile, string ExitStatusFile)
{
    public int Uid { get; init; } = -1;
    public int Gid { get; init; } = -1;
    public CgroupPlacement Cgroups { get; init; } = CgroupPlacement.None;
}

/// <summary>
/// How a job enters its cgroups before any of its code runs. <see cref="CgroupEntry.Thread"/>
/// (cgroup v1): the spawning thread writes itself ("0") into each of <see cref="Files"/> (the job's
/// <c>tasks</c> files), spawns, and goes back through <see cref="HomeFiles"/> (the spawner's own);
/// the child is born inside. <see cref="CgroupEntry.Gate"/> (cgroup v2, where a thread cannot leave
/// its process's cgroup): the child waits on fd 3 until the spawner has written its pid to each
/// of <see cref="Files"/> (<c>cgroup.procs</c>) and says "ok".
/// </summary>
public sealed record CgroupPlacement(CgroupEntry Entry, IReadOnlyList<string> Files, IReadOnlyList<string> HomeFiles)
{
    public static readonly CgroupPlacement None = new(CgroupEntry.None, [], []);
}

public enum CgroupEntry : byte { None, Thread, Gate }

/// <summary>
/// The worker ↔ spawner protocol over the spawner's stdin and stdout: length-prefixed UTF-8
/// strings and 32-bit integers (<see cref="BinaryWriter"/>), one message after another.
/// Worker → spawner: spawn requests. Spawner → worker: <see cref="Ready"/> once, then for each
/// request <see cref="Started"/> or <see cref="Failed"/>, and <see cref="Exited"/> when a started
/// process ends (always after its <see cref="Started"/>). Each message goes out in one write
/// (<see cref="Send"/>) and both ends read through a buffer: a spawn request is some forty
/// strings, which unbuffered would be as many system calls on each side.
/// </summary>
public static class SpawnerProtocol
{
    public const byte Ready = (byte)'R';
    public const byte Started = (byte)'S';
    public const byte Failed = (byte)'F';
    public const byte Exited = (byte)'X';

    /// <summary>Composes one message in memory and writes it to <paramref name="to"/> at once.</summary>
    public static void Send(Stream to, Action<BinaryWriter> message)
    {
        using var buffer = new MemoryStream(1024);
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) message(w);
        to.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        to.Flush();
    }

    /// <summary>A reader over <paramref name="from"/> that takes whatever has arrived in one read, not a field at a time.</summary>
    public static BinaryReader Reader(Stream from) => new(new BufferedStream(from, 16 * 1024), System.Text.Encoding.UTF8, leaveOpen: true);

    public static void Write(BinaryWriter w, SpawnRequest r)
    {
        w.Write(r.Id);
        w.Write(r.Program);
        WriteList(w, r.Argv);
        WriteList(w, r.Environment);
        w.Write(r.WorkingDirectory);
        w.Write(r.Cpus.Count);
        foreach (var cpu in r.Cpus) w.Write(cpu);
        w.Write(r.LogFile);
        w.Write(r.PidFile);
        w.Write(r.ExitStatusFile);
        w.Write(r.Uid);
        w.Write(r.Gid);
        w.Write((byte)r.Cgroups.Entry);
        WriteList(w, r.Cgroups.Files);
        WriteList(w, r.Cgroups.HomeFiles);
    }

    public static SpawnRequest ReadRequest(BinaryReader r)
    {
        var id = r.ReadInt32();
        var program = r.ReadString();
        var argv = ReadList(r);
        var env = ReadList(r);
        var cwd = r.ReadString();
        var cpus = new int[r.ReadInt32()];
        for (var i = 0; i < cpus.Length; i++) cpus[i] = r.ReadInt32();
        return new SpawnRequest(id, program, argv, env, cwd, cpus, r.ReadString(), r.ReadString(), r.ReadString())
        {
            Uid = r.ReadInt32(), Gid = r.ReadInt32(), Cgroups = new CgroupPlacement((CgroupEntry)r.ReadByte(), ReadList(r), ReadList(r)),
        };
    }

    private static void WriteList(BinaryWriter w, IReadOnlyList<string> values)
    {
        w.Write(values.Count);
        foreach (var v in values) w.Write(v);
    }

    private static string[] ReadList(BinaryReader r)
    {
        var values = new string[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return values;
    }
}
