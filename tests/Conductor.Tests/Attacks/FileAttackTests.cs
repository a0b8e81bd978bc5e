using System.Diagnostics;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;
using Mono.Unix.Native;

namespace Conductor.Tests.Attacks;

/// <summary>
/// A root worker whose accounts alice and bob run as Unix users of their own, an API that knows
/// the data dir, and a root-only secret and a root-owned canary for the jobs to go after.
/// </summary>
public sealed class FileAttackFixture : ClusterFixture
{
    public const string Alice = "conductor-fa-alice", Bob = "conductor-fa-bob";
    public ConductorClient Admin { get; private set; } = null!;
    public ConductorClient AliceClient { get; private set; } = null!;
    public ConductorClient BobClient { get; private set; } = null!;

    /// <summary>A directory only root may enter, in /tmp (an allowed root) so that only the checks stand between a job and it.</summary>
    public string Vault { get; } = $"/tmp/conductor-vault-{Guid.NewGuid():N}";
    public string Secret => Path.Combine(Vault, "secret");
    public string SecretText { get; } = $"secret-{Guid.NewGuid():N}";
    public string Canary { get; } = $"/tmp/conductor-canary-{Guid.NewGuid():N}";

    protected override bool StartWorker => false;

    protected override IDictionary<string, string> ApiSettings() =>
        new Dictionary<string, string>(Tokens.NoCache()) { ["Conductor:Worker:DataDir"] = DataDir };

    public override async Task InitializeAsync()
    {
        foreach (var user in new[] { Alice, Bob }) TestUsers.Ensure(user);
        Directory.CreateDirectory(Vault, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Secret, SecretText);
        File.SetUnixFileMode(Secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Canary, "canary\n");
        File.SetUnixFileMode(Canary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await base.InitializeAsync();
        await StartWorkerAsync(Settings() with
        {
            Extra = new() { ["Conductor__Worker__AccountUsers__alice"] = Alice, ["Conductor__Worker__AccountUsers__bob"] = Bob },
        });
        Admin = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "root-ops", admin: true));
        AliceClient = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "alice"));
        BobClient = Tokens.ClientFor(this, await Tokens.CreateAsync(this, "bob"));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Vault, recursive: true);
        File.Delete(Canary);
    }

}

/// <summary>
/// Jobs that go after files as an attacker would: through links in their own directory, links on
/// custom output paths, their control directory, a retry, the data dir, another account's
/// outputs, a forged pid record and the cleanup. Each attack fails and the victim is unharmed.
/// </summary>
public sealed class FileAttackTests(FileAttackFixture cluster) : IClassFixture<FileAttackFixture>
{
    private ConductorClient Alice => cluster.AliceClient;
    private string OwnDir(string id) => Path.Combine(cluster.DataDir, "jobs", id);
    private string ControlDir(string id) => Path.Combine(cluster.DataDir, "control", id);

    [Fact]
    public async Task OutputsReplacedByLinks_ToARootOnlySecretAndShadow_AreNeverServed()
    {
        var id = await Alice.SubmitAsync($"echo visible; echo oops >&2\nln -sf {cluster.Secret} \"$CONDUCTOR_JOB_DIR/stdout.log\"\nln -sf /etc/shadow \"$CONDUCTOR_JOB_DIR/stderr.log\"\n");
        var job = await Alice.WaitForFinishAsync(id);

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        File.ReadAllText(Path.Combine(OwnDir(id), "stdout.log")).Should().Be(cluster.SecretText, "the link is in place: the API, as root, could follow it");
        await AssertNothingServedAsync(Alice, id, "the outputs are links now");
    }

    [Fact]
    public async Task AnOutputThatIsAFifo_IsNotServed_AndDoesNotHangTheApi()
    {
        var id = await Alice.SubmitAsync("rm -f \"$CONDUCTOR_JOB_DIR/stdout.log\"; mkfifo \"$CONDUCTOR_JOB_DIR/stdout.log\"");
        await Alice.WaitForFinishAsync(id);

        var page = await Alice.GetJsonAsync($"/jobs/{id}/logs?stream=stdout");
        page["content"]!.GetValue<string>().Should().BeEmpty();
        page["withheld"]!.GetValue<string>().Should().Contain("not a regular file");
    }

    [Fact]
    public async Task ALinkedDirectoryOnACustomOutputPath_ServesNothing_EvenWhenTheFileIsTheJobsOwn()
    {
        var work = Directory.CreateDirectory($"/tmp/conductor-fa-{Guid.NewGuid():N}").FullName;
        var real = Directory.CreateDirectory(Path.Combine(work, "real")).FullName;
        foreach (var dir in new[] { work, real }) File.SetUnixFileMode(dir, (UnixFileMode)0b1_111_111_111);
        File.CreateSymbolicLink(Path.Combine(work, "linked"), real);
        File.CreateSymbolicLink(Path.Combine(work, "vault"), cluster.Vault);
        File.Copy(cluster.Secret, Path.Combine(cluster.Vault, "out.log"), overwrite: true);

        var own = await Alice.SubmitAsync("echo written-through-a-link", new { current_working_directory = work, standard_output = "linked/own.log" });
        var viaVault = await Alice.SubmitAsync("echo never", new { current_working_directory = work, standard_output = "vault/out.log" });
        await Alice.WaitForFinishAsync(own);
        await Alice.WaitForFinishAsync(viaVault);

        File.ReadAllText(Path.Combine(real, "own.log")).Should().Be("written-through-a-link\n");
        var page = await Alice.GetJsonAsync($"/jobs/{own}/logs?stream=stdout");
        page["content"]!.GetValue<string>().Should().BeEmpty("a link is on the path, although the file is the job user's");
        page["withheld"]!.GetValue<string>().Should().Contain("symbolic link");
        await AssertNothingServedAsync(Alice, viaVault, "its output path leads into the vault through a link");
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task AJob_CannotChangeItsControlDirectory_AndItsRecordsStayTheWorkers()
    {
        const string script = """
            c="$CONDUCTOR_JOB_DIR/../../control/$CONDUCTOR_JOB_ID"
            echo "1 2 3" > "$c/pid"; echo "pid=$?"
            ln -sf /etc/passwd "$c/script.sh"; echo "ln=$?"
            echo hacked >> "$c/script.sh"; echo "append=$?"
            touch "$c/new"; echo "touch=$?"
            """;
        var id = await Alice.SubmitAsync(script);
        var job = await Alice.WaitForFinishAsync(id);

        Stdout(job).Should().Be("pid=1\nln=1\nappend=1\ntouch=1\n", "the control directory is root's; the job may only read and run its script");
        File.ReadAllText(Path.Combine(ControlDir(id), "script.sh")).Should().Be(script, "the script is the one submitted");
        File.Exists(Path.Combine(ControlDir(id), "new")).Should().BeFalse();
        var pid = File.ReadAllText(Path.Combine(ControlDir(id), "pid")).Split(' ')[0];
        pid.Should().Be(job["pid"]!.ToString(), "the pid record is the spawner's");
    }

    [Fact]
    public async Task ARetry_AfterTheFirstAttemptPlantsLinks_MakesRootTouchNothingOutside()
    {
        var plant = string.Join('\n', new[] { "stdout.log", "stderr.log", "script.sh", "pid", "exit_status", "cgroup", "usage" }
            .Select(n => $"ln -sf {cluster.Canary} \"$CONDUCTOR_JOB_DIR/{n}\""));
        var script = $"if [ \"$CONDUCTOR_RESTART_COUNT\" = 0 ]; then\n{plant}\nexit 1\nfi\necho second attempt\n";
        Syscall.stat(cluster.Canary, out var before);
        var id = await Alice.SubmitAsync(script, new { max_retries = 1, retry_delay = "0" });

        var job = await Alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        ConductorClient.State(job).Should().Be("COMPLETED", cluster.Worker!.Output);
        job["attempt"]!.GetValue<int>().Should().Be(2);
        Stdout(job).Should().Be("second attempt\n", "the planted output link was removed as a link and a new file written");
        File.ReadAllText(cluster.Canary).Should().Be("canary\n", "root wrote nothing through the links");
        Syscall.stat(cluster.Canary, out var after);
        (after.st_mode, after.st_uid, after.st_gid, after.st_ino).Should().Be((before.st_mode, before.st_uid, before.st_gid, before.st_ino),
            "nothing was chmodded, chowned, replaced or deleted through them");
    }

    [Theory]
    [InlineData("current_working_directory", "jobs/{next}")]
    [InlineData("current_working_directory", "control/1")]
    [InlineData("current_working_directory", "")]
    [InlineData("standard_output", "control/1/pid")]
    [InlineData("standard_error", "jobs/1/stderr.log")]
    public async Task Submit_WithAPathInTheDataDirectory_Answers400NamingTheField(string field, string below)
    {
        var next = await cluster.Database.ScalarAsync<long>("SELECT coalesce(max(id), 0) + 1 FROM jobs");
        var path = Path.Combine(cluster.DataDir, below.Replace("{next}", next.ToString())).TrimEnd('/');
        var body = new JsonObject { ["job"] = new JsonObject { [field] = path }, ["script"] = "true" };

        var response = await Alice.Http.PostAsync("/jobs/submit", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain($"job.{field}").And.Contain("data directory");
    }

    [Fact]
    public async Task AWorkingDirectoryThatBecomesALinkIntoTheDataDirectory_FailsAtSpawn()
    {
        var link = $"/tmp/conductor-fa-{Guid.NewGuid():N}";
        var begin = DateTime.UtcNow.AddSeconds(3).ToString("O");
        var id = await Alice.SubmitAsync("echo ran", new { current_working_directory = $"{link}/jobs/1", begin_time = begin });
        File.CreateSymbolicLink(link, cluster.DataDir);

        var job = await Alice.WaitForFinishAsync(id, TimeSpan.FromSeconds(30));
        File.Delete(link);

        job["reason"]!.GetValue<string>().Should().Be("SpawnError", "the worker resolves the path again before it spawns");
        job["error_msg"]!.GetValue<string>().Should().Contain("data directory");
    }

    [Fact]
    public async Task BobsOutput_IsNotReadableByAlicesJob_ButServedToBob()
    {
        var secret = $"bob-{Guid.NewGuid():N}";
        var bobs = await cluster.BobClient.SubmitAsync($"echo {secret}");
        (await cluster.BobClient.WaitForFinishAsync(bobs))["job_log"]!["stdout"]!.GetValue<string>().Should().Be($"{secret}\n", "bob's own output is his");

        var alices = await Alice.SubmitAsync($"cat {OwnDir(bobs)}/stdout.log; echo cat=$?; touch {OwnDir(bobs)}/evil; echo touch=$?");
        var job = await Alice.WaitForFinishAsync(alices);

        Stdout(job).Should().Be("cat=1\ntouch=1\n", "bob's directory is 0700 and his");
        File.Exists(Path.Combine(OwnDir(bobs), "evil")).Should().BeFalse();
    }

    [Fact]
    public async Task Cleanup_OfAJobThatLeftLinksToRootOwnedPlaces_RemovesOnlyTheLinks()
    {
        var id = await Alice.SubmitAsync($"ln -s {cluster.Vault} vault; mkdir -p a/b; ln -s {cluster.Secret} a/b/secret; ln -s / a/root");
        await Alice.WaitForFinishAsync(id);
        await cluster.Database.ExecuteAsync($"UPDATE jobs SET end_time = now() - interval '40 days' WHERE id = {id}");

        var run = await Conductor.Tests.Integration.OperationsCommand.RunAsync(cluster.Database.ConnectionString, cluster.DataDir, "http://127.0.0.1:9", ["cleanup", "--older-than", "30d"]);

        run.ExitCode.Should().Be(0, run.ToString());
        Directory.Exists(OwnDir(id)).Should().BeFalse("the job's directory is deleted");
        Directory.Exists(ControlDir(id)).Should().BeFalse("and its control directory");
        File.ReadAllText(cluster.Secret).Should().Be(cluster.SecretText, "what the links pointed to survives");
        Directory.Exists("/etc").Should().BeTrue();
    }

    [Fact]
    public async Task Recovery_IgnoresAPidFileTheJobForged_AndAdoptsTheRealProcess()
    {
        await using var own = await ClusterFixture.StartIdleAsync();
        using var victim = Process.Start("sleep", "300")!;
        var ticks = File.ReadAllText($"/proc/{victim.Id}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[19];
        var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        var gate = Path.Combine(own.DataDir, "gate");
        await own.StartWorkerAsync(own.Settings(faultPoint: "after-spawn")); // SIGKILLs itself before the pid reaches the database
        var id = await own.Client.SubmitAsync(
            $"echo '{victim.Id} {ticks} {boot}' > \"$CONDUCTOR_JOB_DIR/pid\"\ntouch \"$CONDUCTOR_JOB_DIR/planted\"\nwhile [ ! -e {gate} ]; do sleep 0.1; done\n");
        await Eventually.Until(() => File.Exists(Path.Combine(own.DataDir, "jobs", id, "planted")), TimeSpan.FromSeconds(30), "the job forges its pid file");

        var second = await own.StartWorkerAsync();
        await Eventually.Until(() => second.Output.Contains("-> Adopt", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the new worker recovers the job");
        // Recovery logs its decision, then records the pid it found: wait for the record.
        var pid = await Eventually.Until(async () => (await own.Client.QueryAsync(id))["pid"]?.GetValue<int>(), p => p is not null,
            TimeSpan.FromSeconds(20), "recovery records the pid of the process it adopted");
        File.WriteAllText(gate, "");
        var job = await own.Client.WaitForFinishAsync(id);

        pid.Should().NotBe(victim.Id, "recovery reads the pid record from the control directory, never the job's own");
        ConductorClient.State(job).Should().Be("COMPLETED", second.Output);
        Processes.IsAlive(victim.Id).Should().BeTrue("the process the forged record named was neither adopted nor killed");
        victim.Kill();
    }

    private static string Stdout(JsonNode job) => job["job_log"]!["stdout"]!.GetValue<string>();

    private async Task AssertNothingServedAsync(ConductorClient client, string id, string because)
    {
        var job = await client.QueryAsync(id);
        var forbidden = new[] { cluster.SecretText, "root:" };
        foreach (var stream in new[] { "stdout", "stderr" })
        {
            job["job_log"]![stream]!.GetValue<string>().Should().NotContainAny(forbidden, because);
            var page = await client.GetJsonAsync($"/jobs/{id}/logs?stream={stream}");
            page["content"]!.GetValue<string>().Should().NotContainAny(forbidden, because);
            using var response = await client.Http.GetAsync($"/jobs/{id}/logs?stream={stream}&follow=true", HttpCompletionOption.ResponseHeadersRead);
            var events = new List<string>();
            await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
                events.Add(item.Data);
            string.Concat(events).Should().NotContainAny(forbidden, because);
        }
    }
}
