using System.Diagnostics;
using Conductor.Tests.Infrastructure;
using Npgsql;

namespace Conductor.Tests.Hosts;

/// <summary>
/// Three "hosts" on this machine (<c>netns.sh</c>): PostgreSQL, Redis and the API in the core
/// host's network namespace; one worker in each of two others, each seeing only its own data
/// directory (the other's is an empty tmpfs in its mount namespace; the API sees neither, so
/// all output reaches it over the workers' channels). The test process reaches the core host
/// through a veth of its own.
/// </summary>
public sealed class NamespaceHosts : IAsyncLifetime
{
    private const string Secret = "namespace-test-node-secret-0123456789abcdef";
    private static readonly string PgPassword = Guid.NewGuid().ToString("N");
    private static readonly string RedisPassword = Guid.NewGuid().ToString("N");

    public string Id { get; } = Guid.NewGuid().ToString("N")[..4];
    public string Net { get; } = $"10.77.{Random.Shared.Next(2, 250)}";
    public string HostsDir { get; } = TestEnvironment.NewScratchDir("netns");
    private readonly string _servicesDir = Directory.CreateTempSubdirectory("cnd-netns-").FullName;
    private readonly Dictionary<string, CapturedProcess> _workers = [];
    private CapturedProcess? _api;
    private bool _up;

    public ConductorClient Client { get; private set; } = null!;
    public string ConnectionString => $"Host={Net}.1;Port=5432;Username=conductor;Password={PgPassword};Database=conductor;Timeout=5;Command Timeout=10";
    public static readonly string[] Hosts = ["h1", "h2"];
    public string NodeOf(string host) => $"ns{Id}-{host}";
    public string Address(string host) => host == "h1" ? $"{Net}.11" : $"{Net}.12";
    public string DataDir(string host) => Path.Combine(HostsDir, host);
    public string WorkerOutput(string host) => _workers[host].Output;

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // the tests are skipped
        foreach (var host in Hosts) Directory.CreateDirectory(DataDir(host));
        await NetnsAsync("up", Id, Net);
        _up = true;
        await NetnsAsync("services", Id, Net, _servicesDir, PgPassword, RedisPassword);
        _api = Run("core", $"{DataDir("h1")}:{DataDir("h2")}", ["dotnet", ApiProcess.ApiDll], ApiEnvironment());
        Client = new ConductorClient(new HttpClient { BaseAddress = new Uri($"http://{Net}.1:8000"), Timeout = TimeSpan.FromSeconds(60) });
        await Eventually.Until(async () => _api.HasExited || await HealthyAsync(), ok => ok, TimeSpan.FromSeconds(60), "the API in the core namespace answers");
        if (_api.HasExited) throw new InvalidOperationException("The API exited at start:\n" + _api.Output);
        foreach (var host in Hosts) _workers[host] = StartWorker(host);
        foreach (var host in Hosts)
            await Eventually.Until(() => NodeStateAsync(host), s => s == "Up" || _workers[host].HasExited, TimeSpan.FromSeconds(60), $"{host}'s worker registers");
    }

    private Dictionary<string, string> ApiEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = ConnectionString,
            ["ConnectionStrings__Redis"] = $"{Net}.1:6379,password={RedisPassword}",
            ["ASPNETCORE_URLS"] = $"http://{Net}.1:8000",
            ["Conductor__Api__AllowAnonymous"] = "true",
            ["Conductor__Api__DataDir"] = HostsDir,
            ["Conductor__Worker__LeaseSeconds"] = "5",
            ["Conductor__Node__Secret"] = Secret,
            ["Conductor__Api__NodeOutput__ConnectTimeoutSeconds"] = "2",
            ["Conductor__Api__NodeOutput__TimeoutSeconds"] = "4",
            ["LOG_LEVEL"] = "Warning",
        };
        foreach (var host in Hosts) env[$"Conductor__Api__NodeOutput__Nodes__{NodeOf(host)}"] = $"http://{Address(host)}:8101";
        return env;
    }

    private CapturedProcess StartWorker(string host) => Run(host, DataDir(host == "h1" ? "h2" : "h1"), ["dotnet", TestEnvironment.WorkerDll], new()
    {
        ["ConnectionStrings__Postgres"] = ConnectionString,
        ["ConnectionStrings__Redis"] = $"{Net}.1:6379,password={RedisPassword}",
        ["Conductor__Worker__Name"] = NodeOf(host),
        ["Conductor__Worker__Cpus"] = "1",
        ["Conductor__Worker__DataDir"] = DataDir(host),
        ["Conductor__Worker__GraceSeconds"] = "2",
        ["Conductor__Worker__HeartbeatSeconds"] = "1",
        ["Conductor__Worker__LeaseSeconds"] = "5",
        ["Conductor__Worker__Output__Listen"] = $"http://{Address(host)}:8101",
        ["Conductor__Node__Secret"] = Secret,
        ["LOG_LEVEL"] = "Debug",
    });

    /// <summary>Runs a program on <paramref name="host"/>, with the directories of <paramref name="hide"/> (":"-separated) empty.</summary>
    private CapturedProcess Run(string host, string hide, string[] command, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo("bash", [NamespaceFactAttribute.Script, "run", Id, host, hide, "--", .. command]) { WorkingDirectory = "/" };
        info.Environment.Remove("ConnectionStrings__Postgres");
        info.Environment.Remove("ConnectionStrings__Redis");
        info.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (key, value) in env) info.Environment[key] = value;
        return CapturedProcess.Start(info);
    }

    public Task CutAsync(string host) => NetnsAsync("cut", Id, host);
    public Task MendAsync(string host) => NetnsAsync("mend", Id, host);

    public async Task<string?> NodeStateAsync(string host) => await ScalarAsync<string?>($"SELECT state FROM nodes WHERE name = '{NodeOf(host)}'");

    public async Task<T> ScalarAsync<T>(string sql)
    {
        try
        {
            await using var conn = new NpgsqlConnection(ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, conn);
            var value = await cmd.ExecuteScalarAsync();
            return value is null or DBNull ? default! : (T)value;
        }
        catch (NpgsqlException) when (typeof(T) == typeof(string))
        {
            return default!;
        }
    }

    private async Task<bool> HealthyAsync()
    {
        try
        {
            return (await Client.Http.GetAsync("/health")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task NetnsAsync(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", [NamespaceFactAttribute.Script, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"netns.sh {string.Join(' ', args)} failed: {await output}{await error}");
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers.Values) await worker.DisposeAsync();
        if (_api is not null) await _api.DisposeAsync();
        if (_up) await NetnsAsync("down", Id, _servicesDir);
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_servicesDir, recursive: true);
    }
}
