using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Cli;

/// <summary>
/// Batch scripts in the styles HPC centres publish, submitted unchanged with the real executable
/// (as sbatch, through a link) against the real API and worker, and ending as Slurm would end them.
/// </summary>
[Collection("Cli")]
public class SlurmScriptTests(CliCluster cluster) : IClassFixture<CliCluster>
{
    private async Task<string> SubmitAsync(string script, params string[] options)
    {
        var path = cluster.Write($"job-{Guid.NewGuid():N}.sh", script);
        var result = await cluster.RunAsync([.. options, "--parsable", path], name: "sbatch");
        result.Code.Should().Be(0, result.ToString());
        return result.Out.Trim();
    }

    private async Task<CliResult> WaitAsync(string id) => await cluster.RunAsync(["wait", "--timeout", "90", id], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task An_openmp_script_gets_its_cpus_per_task_as_threads_and_writes_slurm_out()
    {
        var id = await SubmitAsync("""
            #!/bin/bash
            #SBATCH --job-name=omp
            #SBATCH --cpus-per-task=2
            #SBATCH --mem-per-cpu=100M
            #SBATCH --time=00:05:00
            export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK
            echo "threads=$OMP_NUM_THREADS job=$SLURM_JOB_ID name=$SLURM_JOB_NAME"
            """);

        (await WaitAsync(id)).Code.Should().Be(0);
        cluster.Read($"slurm-{id}.out").Should().Contain($"threads=2 job={id} name=omp");
    }

    [Fact]
    public async Task An_array_writes_one_file_per_task_named_by_array_id_and_task()
    {
        var id = await SubmitAsync("""
            #!/bin/bash
            #SBATCH -J arr
            #SBATCH --array=1-3
            #SBATCH -o arr-%A_%a.out
            echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID"
            """);

        var all = await cluster.RunAsync(["sacct", "-X", "--name=arr", "-P", "-n", "--format=JobIDRaw,State"]);
        foreach (var line in all.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            (await WaitAsync(line.Split('|')[0])).Code.Should().Be(0);
        for (var task = 1; task <= 3; task++) cluster.Read($"arr-{id}_{task}.out").Should().Be($"task {task} of {id}\n");
    }

    [Fact]
    public async Task A_dependency_chain_built_with_parsable_runs_in_order()
    {
        var first = await SubmitAsync("#!/bin/bash\nsleep 1; echo one > chain-a.txt\n");
        var second = await SubmitAsync("#!/bin/bash\ncat chain-a.txt; echo two\n", "--dependency", $"afterok:{first}");
        var third = await SubmitAsync("#!/bin/bash\nexit 4\n", "-d", $"afterok:{second}");

        (await WaitAsync(third)).Code.Should().Be(4);
        cluster.Read($"slurm-{second}.out").Should().Be("one\ntwo\n");
    }

    [Fact]
    public async Task Wrap_runs_a_command_line_as_an_sh_script_named_wrap()
    {
        var result = await cluster.RunAsync(["--wrap", "echo wrapped $SLURM_JOB_NAME"], name: "sbatch");
        result.Out.Should().MatchRegex(@"^Submitted batch job \d+\n$");
        var id = result.Out.Split(' ')[^1].Trim();

        (await WaitAsync(id)).Code.Should().Be(0);
        cluster.Read($"slurm-{id}.out").Should().Be("wrapped wrap\n");
    }

    [Fact]
    public async Task Export_none_keeps_the_submitters_variables_out_and_the_default_sends_them()
    {
        const string script = "#!/bin/bash\necho \"greeting=${GREETING:-unset}\"\n";
        var env = new Dictionary<string, string> { ["GREETING"] = "hello" };
        var path = cluster.Write("export.sh", script);
        var none = (await cluster.RunAsync(["--parsable", "--export=NONE", path], name: "sbatch", env: env)).Out.Trim();
        var all = (await cluster.RunAsync(["--parsable", path], name: "sbatch", env: env)).Out.Trim();

        await WaitAsync(none);
        await WaitAsync(all);
        cluster.Read($"slurm-{none}.out").Should().Be("greeting=unset\n");
        cluster.Read($"slurm-{all}.out").Should().Be("greeting=hello\n");
    }

    [Fact]
    public async Task Chdir_runs_the_job_there_and_relative_outputs_land_there()
    {
        var sub = Path.Combine(cluster.WorkDir, "run1");
        Directory.CreateDirectory(sub);
        File.SetUnixFileMode(sub, (UnixFileMode)0b1_111_111_111);
        var id = await SubmitAsync("#!/bin/bash\n#SBATCH --chdir=run1\n#SBATCH -o out.%j\npwd\n");

        await WaitAsync(id);
        File.ReadAllText(Path.Combine(sub, $"out.{id}")).Should().Be(sub + "\n");
    }

    [Fact]
    public async Task A_failing_script_ends_failed_with_its_code_in_sacct_and_stderr_in_the_same_file()
    {
        var id = await SubmitAsync("#!/bin/bash\necho to-out\necho to-err >&2\nexit 3\n");

        (await WaitAsync(id)).Code.Should().Be(3);
        cluster.Read($"slurm-{id}.out").Should().Be("to-out\nto-err\n");
        var sacct = await cluster.RunAsync(["sacct", "-j", id, "--format=JobID,State,ExitCode", "-n"]);
        sacct.Out.Should().MatchRegex($@"^{id}\s+FAILED\s+3:0\s*$");
    }

    [Fact]
    public async Task A_job_past_its_time_limit_ends_as_timeout()
    {
        var id = await SubmitAsync("#!/bin/bash\n#SBATCH -t 0:02\nsleep 60\n");

        (await WaitAsync(id)).Code.Should().NotBe(0);
        var sacct = await cluster.RunAsync(["sacct", "-j", id, "-P", "-n", "--format=State"]);
        sacct.Out.Trim().Should().Be("TIMEOUT");
    }

    [Fact]
    public async Task Script_arguments_after_the_script_reach_it()
    {
        var path = cluster.Write("args.sh", "#!/bin/bash\necho \"$# [$1] [$2]\"\n");
        var id = (await cluster.RunAsync(["--parsable", path, "first arg", "-n"], name: "sbatch")).Out.Trim();

        await WaitAsync(id);
        cluster.Read($"slurm-{id}.out").Should().Be("2 [first arg] [-n]\n");
    }

    [Fact]
    public async Task Squeue_shows_a_running_job_and_scancel_ends_it_cancelled()
    {
        var id = await SubmitAsync("#!/bin/bash\n#SBATCH -J sleeper\nsleep 120\n");
        await Eventually.Until(async () => (await cluster.RunAsync(["-h", "-j", id, "-o", "%t"], name: "squeue")).Out.Trim(),
            st => st == "R", TimeSpan.FromSeconds(60), "the job runs");

        var squeue = await cluster.RunAsync([], name: "squeue");
        squeue.Out.Should().StartWith("             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)\n");
        squeue.Out.Should().MatchRegex($@"\n\s+{id}\s+default\s+sleeper\s+\S+\s+R\s+\d+:\d\d\s+1\s+{cluster.NodeName}\n");

        (await cluster.RunAsync([id], name: "scancel")).Code.Should().Be(0);
        (await WaitAsync(id)).Out.Should().Contain("CANCELLED");
        (await cluster.RunAsync(["99999999"], name: "scancel")).Err.Should().Contain("Invalid job id specified");
    }

    [Fact]
    public async Task Sbatch_wait_exits_with_the_jobs_code_and_follow_streams_its_output()
    {
        var path = cluster.Write("follow.sh", "#!/bin/bash\nfor i in 1 2 3; do echo line-$i; sleep 0.3; done\nexit 5\n");

        var result = await cluster.RunAsync(["sbatch", "--wait", "--follow", path]);

        result.Code.Should().Be(5, result.ToString());
        result.Out.Should().MatchRegex(@"^Submitted batch job \d+\nline-1\nline-2\nline-3\n$");
    }

    [Fact]
    public async Task Refused_options_fail_before_anything_is_submitted()
    {
        var path = cluster.Write("gpu.sh", "#!/bin/bash\n#SBATCH --gpus-per-task=1\nnvidia-smi\n");

        var result = await cluster.RunAsync([path], name: "sbatch");

        result.Code.Should().Be(1);
        result.Err.Should().Be("sbatch: error: --gpus-per-task (GPUs) is not supported yet\n");
    }

    [Fact]
    public async Task A_gres_line_reaches_the_api_which_refuses_it_when_no_node_has_a_gpu()
    {
        var path = cluster.Write("gres.sh", "#!/bin/bash\n#SBATCH --gres=gpu:1\nnvidia-smi\n");

        var script = await cluster.RunAsync([path], name: "sbatch");
        var option = await cluster.RunAsync(["sbatch", "--gres", "gpu:a100:1", "--wrap", "true"]);

        script.Code.Should().Be(1, script.ToString());
        script.Err.Should().Contain("asks for 1 GPU(s)").And.Contain("has 0", "the API judged the request against the cluster's nodes, which have none");
        option.Err.Should().Contain("has a GPU of model 'a100'; it has no GPUs");
    }
}

[CollectionDefinition("Cli")]
public sealed class CliCollection;
