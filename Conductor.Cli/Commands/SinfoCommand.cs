using System.Globalization;
using System.Text.Json;
using Conductor.Cli.Api;
using Conductor.Cli.Output;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>A node as GET /nodes describes it, with Slurm's name for its state.</summary>
internal sealed record NodeInfo(string Name, string Partition, int Cpus, int UsedCpus, long MemoryMb, string ApiState)
{
    public static NodeInfo From(JsonElement e) => new(
        e.GetProperty("name").GetString()!, e.TryGetProperty("partition", out var p) ? p.GetString() ?? "default" : "default",
        e.TryGetProperty("cpus", out var c) ? c.GetInt32() : 0, e.TryGetProperty("used_cpus", out var u) ? u.GetInt32() : 0,
        e.TryGetProperty("memory_mb", out var m) ? m.GetInt64() : 0, e.TryGetProperty("state", out var s) ? s.GetString() ?? "" : "");

    /// <summary>idle, mixed, allocated while it is up; down otherwise (a missed heartbeat, drained, gone).</summary>
    public string SlurmState => ApiState.ToUpperInvariant() switch
    {
        "ONLINE" or "UP" or "ACTIVE" or "IDLE" or "" => UsedCpus == 0 ? "idle" : UsedCpus >= Cpus ? "allocated" : "mixed",
        "DRAINING" or "DRAIN" => "draining",
        "DRAINED" => "drained",
        _ => "down",
    };

    public string CompactState => SlurmState switch { "allocated" => "alloc", "mixed" => "mix", "draining" => "drng", "drained" => "drain", var s => s };

    public static async Task<List<NodeInfo>> ListAsync(ApiClient client, CancellationToken ct) =>
        [.. (await client.GetAsync("nodes", ct)).GetProperty("nodes").EnumerateArray().Select(From).OrderBy(n => n.Name, StringComparer.Ordinal)];
}

/// <summary>
/// <c>sinfo</c>: partitions and their nodes grouped by state, in Slurm's layout
/// <c>PARTITION AVAIL TIMELIMIT NODES STATE NODELIST</c> (the default partition marked '*'),
/// <c>-N</c> for one line per node, <c>-o</c> for a format of its own.
/// </summary>
internal static class SinfoCommand
{
    public const string DefaultFormat = "%9P %.5a %.10l %.6D %.6t %N";
    public const string NodeFormat = "%N %.6D %9P %.6t";
    private const string Letters = "PaRlDtTNcmCFO";

    internal sealed class Request
    {
        public string? Format { get; set; }
        public bool NodeOriented { get; set; }
        public bool NoHeader { get; set; }
        public List<string> Partitions { get; } = [];
    }

    private static readonly IReadOnlyList<SlurmOption<Request>> Table =
    [
        new("format", 'o', ArgKind.Required, "output format", (r, v) => r.Format = v),
        new("Node", 'N', ArgKind.None, "one line per node", (r, _) => r.NodeOriented = true),
        new("noheader", 'h', ArgKind.None, "no header", (r, _) => r.NoHeader = true),
        new("partition", 'p', ArgKind.Required, "these partitions", (r, v) => r.Partitions.AddRange(SqueueCommand.List(v))),
        new("all", 'a', ArgKind.None, "accepted", (_, _) => { }),
        new("long", 'l', ArgKind.None, "accepted", (_, _) => { }),
        new("summarize", 's', ArgKind.None, "accepted", (_, _) => { }),
    ];

    public static Task<int> RunAsync(IReadOnlyList<string> args, CliContext cx) =>
        cx.ReportingErrorsAsync("sinfo", async () =>
        {
            var parsed = new SlurmArgs<Request>(Table, stopAtFirstPositional: false).Parse(args);
            var r = new Request();
            foreach (var o in parsed.Options) o.Option.Apply(r, o.Value);
            var format = FormatSpec.Parse(r.Format ?? (r.NodeOriented ? NodeFormat : DefaultFormat), Letters, "--format");
            using var client = cx.Client();
            var nodes = (await NodeInfo.ListAsync(client, cx.Cancel)).Where(n => r.Partitions.Count == 0 || r.Partitions.Contains(n.Partition)).ToList();
            var groups = r.NodeOriented
                ? nodes.Select(n => (IReadOnlyList<NodeInfo>)[n])
                : nodes.GroupBy(n => (n.Partition, n.SlurmState)).OrderBy(g => g.Key.Partition == "default" ? "" : g.Key.Partition, StringComparer.Ordinal)
                    .Select(g => (IReadOnlyList<NodeInfo>)[.. g]);
            if (!r.NoHeader) await cx.Out.WriteLineAsync(format.Render(Header));
            foreach (var g in groups) await cx.Out.WriteLineAsync(format.Render(c => Value(c, g)));
            return 0;
        });

    private static string Header(char c) => c switch
    {
        'P' or 'R' => "PARTITION", 'a' => "AVAIL", 'l' => "TIMELIMIT", 'D' => "NODES", 't' or 'T' => "STATE", 'N' => "NODELIST",
        'c' => "CPUS", 'm' => "MEMORY", 'C' => "CPUS(A/I/O/T)", 'F' => "NODES(A/I/O/T)", 'O' => "CPU_LOAD", _ => "?",
    };

    private static string Value(char c, IReadOnlyList<NodeInfo> g)
    {
        var first = g[0];
        string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        var down = g.Where(n => n.SlurmState == "down").ToList();
        return c switch
        {
            'P' => first.Partition == "default" ? "default*" : first.Partition,
            'R' => first.Partition,
            'a' => "up",
            'l' => "infinite",
            'D' => N(g.Count),
            't' => first.CompactState,
            'T' => first.SlurmState,
            'N' => string.Join(',', g.Select(n => n.Name)),
            'c' => N(g.Min(n => n.Cpus)),
            'm' => N(g.Min(n => n.MemoryMb)),
            'C' => $"{N(g.Sum(n => n.UsedCpus))}/{N(g.Except(down).Sum(n => n.Cpus - n.UsedCpus))}/{N(down.Sum(n => n.Cpus))}/{N(g.Sum(n => n.Cpus))}",
            'F' => $"{N(g.Count(n => n.UsedCpus > 0))}/{N(g.Count(n => n.UsedCpus == 0 && n.SlurmState != "down"))}/{N(down.Count)}/{N(g.Count)}",
            _ => "N/A",
        };
    }
}
