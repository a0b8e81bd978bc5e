using System.Diagnostics;
using Conductor.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;

namespace Conductor.Tests.Hosts;

/// <summary>
/// Joining a node: scripts/make_ca.sh's certificates make PostgreSQL (Npgsql SSL Mode=VerifyFull)
/// and Redis (tls-port) connections encrypted and authenticated, and deploy/systemd's units keep
/// jobs running across a worker restart.
/// </summary>
public sealed class HostsTlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnd-tls-").FullName;
    private string Tls => Path.Combine(_dir, "tls");

    public async Task InitializeAsync()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        await RunAsync("bash", Path.Combine(TestEnvironment.RepoRoot, "scripts", "make_ca.sh"), Tls, "localhost");
        await RunAsync("bash", Path.Combine(TestEnvironment.RepoRoot, "scripts", "make_ca.sh"), Path.Combine(_dir, "other-ca"), "localhost");
    }

    [Fact]
    public async Task PostgresWithTheScriptsCertificates_AcceptsVerifyFull_AndRefusesAnotherCasServerOrName()
    {
        var port = ApiProcess.FreePort();
        var pg = Path.Combine(_dir, "pg");
        await RunAsync("bash", "-c", $"""
            set -e
            bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
            mkdir -p {pg} && cp {Tls}/localhost.crt {Tls}/localhost.key {pg}/ && chown -R postgres: {pg} && chmod 600 {pg}/localhost.key
            echo secret-password-123 > {pg}/pw && chown postgres: {pg}/pw
            su postgres -s /bin/sh -c "$bin/initdb -D {pg}/data -U conductor --auth=scram-sha-256 --pwfile={pg}/pw" >/dev/null
            echo 'hostssl all all 127.0.0.1/32 scram-sha-256' > {pg}/data/pg_hba.conf
            su postgres -s /bin/sh -c "$bin/pg_ctl -D {pg}/data -l {pg}/log -w start -o \"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={pg} -c ssl=on -c ssl_cert_file={pg}/localhost.crt -c ssl_key_file={pg}/localhost.key\"" >/dev/null
            """);
        try
        {
            var good = $"Host=localhost;Port={port};Username=conductor;Password=secret-password-123;Database=postgres;SSL Mode=VerifyFull;Root Certificate={Tls}/ca.crt;Pooling=false";
            await using (var conn = new NpgsqlConnection(good))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", conn);
                ((bool)(await cmd.ExecuteScalarAsync())!).Should().BeTrue("the session is encrypted");
            }
            await FailsAsync(good.Replace($"{Tls}/ca.crt", Path.Combine(_dir, "other-ca", "ca.crt")), "a server whose certificate another CA issued is an impostor");
            await FailsAsync(good.Replace("Host=localhost", "Host=127.0.0.1"), "the certificate does not name the host connected to");
            await FailsAsync(good.Replace("SSL Mode=VerifyFull;", "SSL Mode=Disable;"), "pg_hba.conf accepts TLS connections only");
        }
        finally
        {
            await RunAsync("bash", "-c", $"su postgres -s /bin/sh -c \"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl -D {pg}/data -m immediate stop\" >/dev/null");
        }
    }

    [Fact]
    public async Task RedisOnItsTlsPort_AnswersAClientThatTrustsTheCa_AndNoOther()
    {
        var port = ApiProcess.FreePort();
        await RunAsync("redis-server", "--port", "0", "--tls-port", port.ToString(), "--bind", "127.0.0.1", "--requirepass", "redis-secret-123",
            "--tls-cert-file", $"{Tls}/localhost.crt", "--tls-key-file", $"{Tls}/localhost.key", "--tls-ca-cert-file", $"{Tls}/ca.crt",
            "--tls-auth-clients", "no", "--save", "", "--daemonize", "yes", "--pidfile", $"{_dir}/redis.pid", "--logfile", $"{_dir}/redis.log");
        try
        {
            var options = ConfigurationOptions.Parse($"localhost:{port},ssl=true,sslHost=localhost,password=redis-secret-123,abortConnect=false,connectTimeout=3000");
            options.TrustIssuer($"{Tls}/ca.crt");
            await using (var redis = await ConnectionMultiplexer.ConnectAsync(options))
                (await redis.GetDatabase().PingAsync()).Should().BePositive();

            var stranger = ConfigurationOptions.Parse($"localhost:{port},ssl=true,sslHost=localhost,password=redis-secret-123,abortConnect=false,connectTimeout=2000");
            stranger.TrustIssuer(Path.Combine(_dir, "other-ca", "ca.crt"));
            await using var refused = await ConnectionMultiplexer.ConnectAsync(stranger);
            refused.IsConnected.Should().BeFalse("a certificate of another CA is not trusted");
        }
        finally
        {
            await RunAsync("bash", "-c", $"kill $(cat {_dir}/redis.pid)");
        }
    }

    [Fact]
    public void TheSystemdUnits_RestartOnFailure_AndAWorkerRestartLeavesItsJobsRunning()
    {
        var dir = Path.Combine(TestEnvironment.RepoRoot, "deploy", "systemd");
        var worker = File.ReadAllLines(Path.Combine(dir, "conductor-worker.service")).Select(l => l.Trim()).ToList();
        var api = File.ReadAllLines(Path.Combine(dir, "conductor-api.service")).Select(l => l.Trim()).ToList();
        worker.Should().Contain("KillMode=process", "the spawner and its jobs outlive a worker restart, to be re-adopted");
        worker.Should().Contain("Restart=on-failure");
        api.Should().Contain("Restart=on-failure");
        foreach (var unit in new[] { worker, api })
        {
            unit.Should().Contain(l => l.StartsWith("ExecStart=/usr/bin/dotnet /opt/conductor/", StringComparison.Ordinal));
            unit.Should().Contain(l => l.StartsWith("EnvironmentFile=-/etc/conductor/credentials.env", StringComparison.Ordinal));
        }
        foreach (var example in Directory.EnumerateFiles(dir, "*.env.example"))
            File.ReadAllText(example).Should().NotContainAny(["Password=secret", "password=secret"], "no real secret in the repository");
    }

    private static async Task FailsAsync(string connectionString, string because)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        var open = async () => await conn.OpenAsync();
        await open.Should().ThrowAsync<Exception>(because);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, $"{file} {string.Join(' ', args)}: {await output}{await error}");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}
