namespace Conductor.Api;

/// <summary>Limits and switches of the HTTP API (section <c>Conductor:Api</c>).</summary>
public sealed class ApiOptions
{
    public int MaxScriptBytes { get; set; } = 1024 * 1024;
    public int MaxEnvironmentEntries { get; set; } = 256;

    /// <summary>Bodies larger than this are refused before parsing; defaults to room for a maximal script.</summary>
    public int? MaxBodyBytes { get; set; }

    public int EffectiveMaxBodyBytes => MaxBodyBytes ?? (MaxScriptBytes * 2) + (256 * 1024);

    /// <summary>The most jobs one <c>POST /jobs/submit/bulk</c> may carry.</summary>
    public int MaxBulkJobs { get; set; } = 10_000;

    /// <summary>The body cap of a bulk submit (10,000 small jobs fit comfortably).</summary>
    public int MaxBulkBodyBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>How often each API process looks for due cron schedules.</summary>
    public int SchedulerPollMilliseconds { get; set; } = 250;

    /// <summary>How many bytes of each output file the query endpoint returns (the tail).</summary>
    public int LogTailBytes { get; set; } = 64 * 1024;
}
