using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Conductor.Tests.Contract;

/// <summary>
/// The published contract matches the API: every mapped endpoint is in /openapi/v1.json with a
/// summary, SCNS's request fields are described, and the document and /docs are open while
/// every other endpoint wants a token once one exists.
/// </summary>
public sealed class OpenApiContractTests(Integration.TokenClusterFixture cluster) : IClassFixture<Integration.TokenClusterFixture>, IAsyncLifetime
{
    private string _alice = "", _bob = "";

    public async Task InitializeAsync()
    {
        _alice = await Tokens.CreateAsync(cluster, "alice");
        _bob = await Tokens.CreateAsync(cluster, "bob");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private IReadOnlyList<(string Method, string Path)> MappedEndpoints() =>
        cluster.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, Normalise(e.RoutePattern.RawText!))))
            .ToList();

    private static string Normalise(string path) => path.Length > 1 ? "/" + path.Trim('/') : "/";

    private async Task<JsonNode> DocumentAsync()
    {
        var response = await Tokens.ClientFor(cluster, null).Http.GetAsync("/openapi/v1.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK, "the contract is public");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task EveryMappedEndpoint_IsInTheDocument_WithASummary()
    {
        var paths = (await DocumentAsync())["paths"]!.AsObject();
        var mapped = MappedEndpoints();

        mapped.Should().HaveCountGreaterThan(15);
        foreach (var (method, path) in mapped)
        {
            paths.ContainsKey(path).Should().BeTrue($"{method} {path} is mapped");
            var operation = paths[path]![method.ToLowerInvariant()];
            operation.Should().NotBeNull($"{method} {path} is in the document");
            operation!["summary"]?.GetValue<string>().Should().NotBeNullOrWhiteSpace($"{method} {path} says what it does");
        }
        paths.Select(p => p.Key).Should().BeEquivalentTo(mapped.Select(m => m.Path).Distinct(), "the document describes nothing that is not mapped");
    }

    [Fact]
    public async Task EveryFieldOfScnsJobSpec_IsDescribedInTheSubmitBody()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!;
        var job = schemas["JobFields"]!["properties"]!.AsObject();

        foreach (var field in new[] { "account", "environment", "current_working_directory", "standard_output", "standard_error",
                     "ntasks_per_node", "cpus_per_task", "memory_per_node", "name", "time_limit", "partition", "exclusive" })
            job[field]?["description"]?.GetValue<string>().Should().NotBeNullOrWhiteSpace(field);
        schemas["SubmitRequest"]!["properties"]!["script"].Should().NotBeNull();
    }

    [Fact]
    public async Task TheReferencePage_IsServedWithoutAToken()
    {
        var response = await Tokens.ClientFor(cluster, null).Http.GetAsync("/docs");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("openapi/v1.json");
    }

    [Fact]
    public async Task EveryOtherEndpoint_WantsATokenOnceOneExists()
    {
        var open = new[] { "/", "/health", "/metrics" };
        var anonymous = Tokens.ClientFor(cluster, null).Http;

        foreach (var (method, path) in MappedEndpoints().Where(e => !open.Contains(e.Path)))
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", "1"));
            using var response = await anonymous.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{method} {path} is not open");
        }
        (await anonymous.GetAsync("/")).StatusCode.Should().Be(HttpStatusCode.OK, "the service information is open, as in SCNS");
    }

    [Fact]
    public async Task TheDashboardsJobLists_ShowOnlyTheCallersOwnJobs()
    {
        var alice = Tokens.ClientFor(cluster, _alice);
        var id = long.Parse(await alice.SubmitAsync("true"));

        var hers = await alice.GetJsonAsync("/dashboard");
        var his = await Tokens.ClientFor(cluster, _bob).GetJsonAsync("/dashboard");

        hers["pending_jobs"]!.AsArray().Select(j => j!["job_id"]!.GetValue<long>()).Should().Contain(id);
        his["pending_jobs"]!.AsArray().Select(j => j!["job_id"]!.GetValue<long>()).Should().NotContain(id, "bob does not see alice's jobs");
        his["job_stats"]!["pending"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(1, "counts are cluster-wide, as /stats");
    }
}
