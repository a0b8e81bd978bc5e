using System.Net;
using System.Text.Json.Nodes;
using Conductor.Api.Messaging;
using Conductor.Tests.Infrastructure;
using Mono.Unix.Native;
using Npgsql;
using StackExchange.Redis;

namespace Conductor.Tests.Attacks;

/// <summary>Token lookups uncached, so tokens made by a test work at once.</summary>
public sealed class ServiceAttackClusterFixture : ClusterFixture
{
    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();
}

/// <summary>
/// A job is a hostile tenant on the machine that runs PostgreSQL and Redis (issue 15, point 3):
/// alice's job, run by the real root worker as an unprivileged user, tries to log in to both
/// services on loopback and to read their secrets. Every attempt must fail, and nothing may
/// change: no token row, no program run by PostgreSQL, bob's rate-limit bucket untouched.
/// These tests need scripts/test.sh's password-protected servers (CONDUCTOR_SERVICES_PROTECTED=1):
/// against a developer's trust server they fail with a message instead of passing vacuously.
/// </summary>
public sealed class ServiceAttackTests(ServiceAttackClusterFixture cluster) : IClassFixture<ServiceAttackClusterFixture>
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheServiceRole_IsNoSuperuser_AndPostgresRunsNoProgramForIt()
    {
        RequireProtectedServices();
        await using var conn = new NpgsqlConnection(cluster.Database.ConnectionString);
        await conn.OpenAsync();

        await using (var roles = new NpgsqlCommand(
            "SELECT rolsuper, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user", conn))
        await using (var reader = await roles.ExecuteReaderAsync())
        {
            (await reader.ReadAsync()).Should().BeTrue();
            Enumerable.Range(0, 4).Select(reader.GetBoolean).Should().AllBeEquivalentTo(false,
                "the services' role has no superuser, createrole, replication or bypassrls attribute");
        }
        var marker = Path.Combine(Path.GetTempPath(), $"conductor-copy-{Guid.NewGuid():N}");
        var copy = () => new NpgsqlCommand($"COPY (SELECT 1) TO PROGRAM 'touch {marker}'", conn).ExecuteNonQueryAsync();

        (await copy.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.InsufficientPrivilege);
        File.Exists(marker).Should().BeFalse("PostgreSQL ran no program");
    }

    [Fact]
    public async Task AJob_CannotLogInToPostgres_AsTheServiceRoleOrTheSuperuser()
    {
        RequireProtectedServices();
        var pg = new NpgsqlConnectionStringBuilder(cluster.Database.ConnectionString);
        const string adminTokens = "SELECT count(*) FROM api_tokens WHERE is_admin OR hash = repeat('0', 64)";
        var adminTokensBefore = await cluster.Database.ScalarAsync<long>(adminTokens);
        var marker = Path.Combine(Path.GetTempPath(), $"conductor-pwned-{Guid.NewGuid():N}");
        var sql = "INSERT INTO api_tokens (account, is_admin, hash, created_at) VALUES ('alice', true, repeat('0', 64), now()); " +
                  $"COPY (SELECT 1) TO PROGRAM 'touch {marker}';";
        // psql without a password (-w: never prompt), then with guesses; a raw TCP startup
        // message too, to show the server asks for SCRAM (auth request 10) rather than letting
        // the job in (0).
        var script = $$"""
            export PGCONNECT_TIMEOUT=5
            for user in {{pg.Username}} conductor postgres; do
              for db in {{pg.Database}} conductor postgres; do
                for pw in '' conductor postgres; do
                  PGPASSWORD="$pw" psql -w -X -h 127.0.0.1 -p {{pg.Port}} -U "$user" -d "$db" -c "{{sql}}" >/dev/null 2>err.txt
                  echo "pg $user $db rc=$?: $(head -c 200 err.txt | tr '\n' ' ')"
                done
              done
            done
            exec 3<>/dev/tcp/127.0.0.1/{{pg.Port}}
            printf '\x00\x00\x00\x2b\x00\x03\x00\x00user\x00conductor\x00database\x00conductor\x00\x00' >&3
            reply=$(head -c 9 <&3 | od -An -tx1 | tr -d ' \n')
            echo "raw reply $reply"
            """;

        var output = await RunAsAliceAsync(script);

        var attempts = output.Split('\n').Where(l => l.StartsWith("pg ", StringComparison.Ordinal)).ToList();
        attempts.Should().HaveCount(27, output);
        attempts.Should().OnlyContain(l => l.Contains(" rc=2:") && l.Contains("password"),
            "every login is refused for want of the right password (psql exits 2: no connection)");
        // 'R', length 23, request 10 (SASL: SCRAM-SHA-256); AuthenticationOk would be 52 00000008 00000000.
        output.Should().Contain("raw reply 52000000170000000a", "the server answers a raw startup message with a SCRAM challenge, not AuthenticationOk");
        (await cluster.Database.ScalarAsync<long>(adminTokens)).Should().Be(adminTokensBefore, "no admin token row was added");
        File.Exists(marker).Should().BeFalse("PostgreSQL ran no program for the job");
    }

    [Fact]
    public async Task AJob_CannotReadTheSecrets_NorFindThemInAnyEnvironment()
    {
        RequireProtectedServices();
        var secrets = TestEnvironment.SecretsDir;
        secrets.Should().NotBeNull("scripts/test.sh exports CONDUCTOR_TEST_SECRETS_DIR with CONDUCTOR_SERVICES_PROTECTED");
        var files = Directory.GetFiles(secrets!);
        files.Select(Path.GetFileName).Should().Contain(["postgres-superuser.password", "postgres-service.password", "redis.password"]);
        var script = string.Concat(files.Select(f => $"cat '{f}' 2>&1; echo \"read {Path.GetFileName(f)} rc=$?\"\n")) +
            $"ls '{secrets}' 2>&1; echo \"list rc=$?\"\n" +
            $"tr '\\0' '\\n' 2>&1 < /proc/{cluster.Worker!.Pid}/environ; echo \"worker environ rc=$?\"\n" +
            "env | grep -ci -e password -e ConnectionStrings; echo \"own environ\"\n";

        var output = await RunAsAliceAsync(script);

        foreach (var file in files) output.Should().Contain($"read {Path.GetFileName(file)} rc=1", $"{file} is 0600 root");
        output.Should().Contain("list rc=2", "the secrets directory is 0700 root").And.Contain("Permission denied");
        output.Should().Contain("worker environ rc=1", "the worker's environment (its connection strings) is not readable by a job");
        output.Should().Contain("0\nown environ", "the job's own environment carries no connection string or password");
        foreach (var file in files)
            output.Should().NotContain((await File.ReadAllTextAsync(file)).Trim(), "no secret leaked into the job's output");
    }

    [Fact]
    public async Task AJob_CannotUseRedis_AndBobsRateLimitBucketIsUnchanged()
    {
        RequireProtectedServices();
        var bob = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "bob"));
        var pg = new NpgsqlConnectionStringBuilder(cluster.Database.ConnectionString);
        var bucket = $"conductor:rate:submit:{pg.Host}:{pg.Port}/{pg.Database}:bob";
        var redisPort = TestEnvironment.RedisPort;
        using var redis = new RedisConnection(TestEnvironment.Redis);
        var db = redis.Multiplexer.GetDatabase();
        var now = (long)(await redis.Multiplexer.GetServer(redis.Multiplexer.GetEndPoints()[0]).TimeAsync() - DateTime.UnixEpoch).TotalMilliseconds;
        await db.HashSetAsync(bucket, [new("tokens", "42"), new("at", now.ToString())]);
        await db.KeyExpireAsync(bucket, TimeSpan.FromMinutes(5));
        var before = await db.HashGetAllAsync(bucket);
        var script = $"""
            redis-cli -h 127.0.0.1 -p {redisPort} ping 2>&1; echo "ping rc=$?"
            redis-cli -h 127.0.0.1 -p {redisPort} HSET '{bucket}' tokens -1000000 at 99999999999999 2>&1; echo "hset rc=$?"
            REDISCLI_AUTH=conductor redis-cli --no-auth-warning -h 127.0.0.1 -p {redisPort} SET '{bucket}' x 2>&1; echo "guess rc=$?"
            """;

        var output = await RunAsAliceAsync(script);

        output.Should().Contain("NOAUTH").And.NotContain("PONG");
        output.Should().NotMatchRegex("(?m)^OK$", "no command of the job was executed");
        (await db.HashGetAllAsync(bucket)).Should().BeEquivalentTo(before, "bob's bucket is untouched");
        (await bob.Http.PostAsync("/jobs/submit", JsonContent("true"))).StatusCode.Should().Be(HttpStatusCode.Created, "bob is not rate-limited");
    }

    private static void RequireProtectedServices()
    {
        TestEnvironment.ServicesProtected.Should().BeTrue(
            "these tests show that a job cannot reach PostgreSQL and Redis, which needs scripts/test.sh's password-protected " +
            "servers (it exports CONDUCTOR_SERVICES_PROTECTED=1); against a trust server without passwords they would prove nothing. " +
            "Run scripts/test.sh (CONDUCTOR_TEST_PG_PORT / CONDUCTOR_TEST_REDIS_PORT choose its ports)");
        Syscall.geteuid().Should().Be(0u, "only a root worker runs jobs as other users than the services'");
    }

    private async Task<string> RunAsAliceAsync(string script)
    {
        var alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "alice"));
        var id = await alice.SubmitAsync(script);
        var job = await alice.WaitForFinishAsync(id, JobTimeout);
        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        return job["job_log"]!["stdout"]!.GetValue<string>();
    }

    private static StringContent JsonContent(string script) =>
        new(new JsonObject { ["job"] = new JsonObject(), ["script"] = script }.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}
