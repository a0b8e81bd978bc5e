using Conductor.Tests.Attacks;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Contract;

/// <summary>
/// A worker and the API as a real process on a real port (what curl and Python clients talk to),
/// anonymous on loopback as a fresh install is; the workers' data dir is the API's too.
/// </summary>
public sealed class RealStackFixture : ClusterFixture
{
    private ApiProcess _process = null!;

    public string BaseUrl { get; private set; } = "";
    public HttpClient Http { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (_process, var http, var port) = await RealApi.StartAsync(Database.ConnectionString,
            new Dictionary<string, string> { ["Conductor__Worker__DataDir"] = DataDir });
        Http = http;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string ApiOutput => _process.Output;

    public override async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        await base.DisposeAsync();
    }
}
