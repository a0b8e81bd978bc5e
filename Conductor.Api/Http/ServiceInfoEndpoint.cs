using System.Reflection;

namespace Conductor.Api.Http;

/// <summary>
/// <c>GET /</c>: SCNS-Conductor's service information (<c>service</c>, <c>version</c>,
/// <c>status</c>), plus where the API reference is. Open like /health: it tells nothing about
/// jobs, accounts or nodes.
/// </summary>
internal static class ServiceInfoEndpoint
{
    public sealed record Response(string Service, string Version, string Status, string Docs, string Openapi);

    private static readonly string Version =
        typeof(ServiceInfoEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "1.0.0";

    public static IResult Handle() => TypedResults.Ok(new Response("Conductor API", Version, "running", "/docs", "/openapi/v1.json"));
}
