namespace Conductor.Worker.Processes.Spawning;

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
