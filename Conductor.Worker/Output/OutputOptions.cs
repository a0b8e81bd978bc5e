namespace Conductor.Worker.Output;

/// <summary>
/// The output channel of a node without a file system shared with the API (section
/// <c>Conductor:Worker:Output</c>; the secret is <c>Conductor:Node:Secret</c> or
/// <c>Conductor:Node:SecretFile</c>, shared with the API). Unset <see cref="Listen"/>: no listener,
/// the API reads output files itself (a shared file system, or the same host).
/// </summary>
public sealed class OutputOptions
{
    /// <summary>Where to listen, an IP address and port, e.g. <c>https://0.0.0.0:8101</c> or <c>http://10.0.0.2:8101</c>.</summary>
    public string? Listen { get; set; }

    /// <summary>PEM certificate and key for an https <see cref="Listen"/> (scripts/make_ca.sh issues them).</summary>
    public string? CertificateFile { get; set; }
    public string? KeyFile { get; set; }
}
