namespace Conductor.Core.Jobs;

/// <summary>
/// SCNS-Conductor's <c>data_source</c>: where a job came from, API, CLI or WEB. Read from the
/// request header <c>X-Conductor-Client</c> (<c>cli</c>, <c>web</c>; anything else or nothing is
/// API). It is a label a client chooses, not a proof: nothing depends on it.
/// </summary>
public static class DataSources
{
    public const string Header = "X-Conductor-Client";
    public const string Api = "API", Cli = "CLI", Web = "WEB";

    public static string FromHeader(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "cli" => Cli,
        "web" => Web,
        _ => Api,
    };
}
