namespace Conductor.Api;

/// <summary>Limits and switches of the HTTP API (section <c>Conductor:Api</c>).</summary>
public sealed class ApiOptions
{
    public int MaxScriptBytes { get; set; } = 1024 * 1024;
    public int MaxEnvironmentEntries { get; set; } = 256;

    /// <summary>Bodies larger than this are refused before parsing; defaults to room for a maximal script.</summary>
    public int? MaxBodyBytes { get; set; }

    public int EffectiveMaxBodyBytes => MaxBodyBytes ?? (MaxScriptBytes * 2) + (256 * 1024);

    /// <summary>
    /// Where working directories and output files may be. Default: the worker data dir
    /// (Conductor:Worker:DataDir, else ./data) and /tmp, as the workers default to.
    /// </summary>
    public string[]? AllowedRoots { get; set; }

    private Core.Jobs.AllowedRoots? _roots;

    internal Core.Jobs.AllowedRoots Roots => _roots ??= new(AllowedRoots ?? ["./data", "/tmp"]);

    /// <summary>How many bytes of each output file the query endpoint returns (the tail).</summary>
    public int LogTailBytes { get; set; } = 64 * 1024;
}
