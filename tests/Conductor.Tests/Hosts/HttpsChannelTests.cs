using System.Diagnostics;
using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Hosts;

/// <summary>The output channel over https, the node's certificate issued by scripts/make_ca.sh and checked against its CA.</summary>
public sealed class HttpsChannelFixture : ClusterFixture
{
    public const string Secret = "https-test-node-secret-0123456789abcdef0123";
    public int OutputPort { get; } = ApiProcess.FreePort();
    public string Tls { get; } = Path.Combine(Directory.CreateTempSubdirectory("cnd-https-").FullName, "tls");
    public string OtherCa => Path.Combine(Path.GetDirectoryName(Tls)!, "other", "ca.crt");
    public ApiHost? Stranger { get; private set; }

    protected override bool StartWorker => false;

    protected override IDictionary<string, string> ApiSettings() => ApiTrusting(Path.Combine(Tls, "ca.crt"));

    private Dictionary<string, string> ApiTrusting(string ca) => new()
    {
        ["Conductor:Node:Secret"] = Secret,
        [$"Conductor:Api:NodeOutput:Nodes:{NodeName}"] = $"https://127.0.0.1:{OutputPort}",
        ["Conductor:Api:NodeOutput:CaFile"] = ca,
        ["Conductor:Api:NodeOutput:ConnectTimeoutSeconds"] = "2",
        ["Conductor:Api:NodeOutput:TimeoutSeconds"] = "4",
    };

    public override async Task InitializeAsync()
    {
        foreach (var (dir, name) in new[] { (Tls, "127.0.0.1"), (Path.GetDirectoryName(OtherCa)!, "127.0.0.1") })
        {
            using var make = Process.Start(new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "scripts", "make_ca.sh"), dir, name])
            {
                RedirectStandardError = true,
            })!;
            await make.WaitForExitAsync();
            make.ExitCode.Should().Be(0, await make.StandardError.ReadToEndAsync());
        }
        await base.InitializeAsync();
        // The same cluster seen by an API that trusts another CA: the node is an impostor to it.
        Stranger = new ApiHost(Database.ConnectionString, ApiTrusting(OtherCa));
        await StartWorkerAsync(Settings() with
        {
            Extra = new()
            {
                ["Conductor__Node__Secret"] = Secret,
                ["Conductor__Worker__Output__Listen"] = $"https://127.0.0.1:{OutputPort}",
                ["Conductor__Worker__Output__CertificateFile"] = Path.Combine(Tls, "127.0.0.1.crt"),
                ["Conductor__Worker__Output__KeyFile"] = Path.Combine(Tls, "127.0.0.1.key"),
            },
        });
    }

    public override async Task DisposeAsync()
    {
        if (Stranger is not null) await Stranger.DisposeAsync();
        await base.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(Tls)!, recursive: true);
    }
}

public sealed class HttpsChannelTests(HttpsChannelFixture cluster) : IClassFixture<HttpsChannelFixture>
{
    [Fact]
    public async Task OutputOverHttps_IsReadByAnApiTrustingTheCa_AndRefusedByOneTrustingAnother()
    {
        var id = await cluster.Client.SubmitAsync("echo over tls");
        await cluster.Client.WaitForStateAsync(id, "COMPLETED");

        var page = await cluster.Client.GetJsonAsync($"/jobs/{id}/logs");
        page["content"]!.GetValue<string>().Should().Be("over tls\n");

        using var stranger = cluster.Stranger!.CreateClient();
        var response = await stranger.GetAsync($"/jobs/{id}/logs");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "a node whose certificate another CA issued is not trusted");
    }
}
