namespace Conductor.Api;

/// <summary>Limits and switches of the HTTP API (section <c>Conductor:Api</c>).</summary>
public sealed class ApiOptions
{
    public int MaxScriptBytes { get; set; } = 1024 * 1024;
    public int MaxEnvironmentEntries { get; set; } = 256;

    /// <summary>Names plus values, in UTF-8 bytes; well under the kernel's limit for one exec.</summary>
    public int MaxEnvironmentBytes { get; set; } = 128 * 1024;
    public int MaxNameLength { get; set; } = 256;
    public int MaxAccountLength { get; set; } = 128;

    /// <summary>PENDING jobs one account may have at once (0: no limit).</summary>
    public int MaxPendingPerAccount { get; set; } = 100_000;

    /// <summary>Per-account token bucket in Redis: refill rate (0: no limit) and bucket size.</summary>
    public double SubmitRatePerSecond { get; set; } = 5000;
    public int SubmitBurst { get; set; } = 20_000;

    /// <summary>Bodies larger than this are refused before parsing; defaults to room for a maximal script.</summary>
    public int? MaxBodyBytes { get; set; }

    public int EffectiveMaxBodyBytes => MaxBodyBytes ?? (MaxScriptBytes * 2) + (256 * 1024);

    /// <summary>The most jobs one <c>POST /jobs/submit/bulk</c> may carry.</summary>
    public int MaxBulkJobs { get; set; } = 10_000;

    /// <summary>The body cap of a bulk submit (10,000 small jobs fit comfortably).</summary>
    public int MaxBulkBodyBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>How often each API process looks for due cron schedules.</summary>
    public int SchedulerPollMilliseconds { get; set; } = 250;

    /// <summary>
    /// Where working directories and output files may be. Default: the worker data dir
    /// (Conductor:Worker:DataDir, else ./data) and /tmp, as the workers default to.
    /// </summary>
    public string[]? AllowedRoots { get; set; }

    /// <summary>The workers' data dir (Conductor:Worker:DataDir, else ./data): no job path may lie below it.</summary>
    public string? DataDir { get; set; }

    private Core.Jobs.AllowedRoots? _roots;

    internal Core.Jobs.AllowedRoots Roots => _roots ??= new(AllowedRoots ?? ["./data", "/tmp"], DataDir ?? "./data");

    /// <summary>Directories the operator configured, trusted to hold links of the operator's own in their paths (see <see cref="Core.Files.OutputFile"/>).</summary>
    internal IReadOnlyList<string> TrustedRoots => [.. AllowedRoots ?? [], DataDir ?? "./data"];

    /// <summary>
    /// For an output file of 1 MiB or more, how many of its last bytes the query endpoint searches
    /// for the last 1,000 lines it returns (SCNS's rule; smaller files are returned whole).
    /// </summary>
    public int LogTailBytes { get; set; } = 1024 * 1024;
}
