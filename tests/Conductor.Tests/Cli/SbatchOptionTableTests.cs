using Conductor.Cli.Slurm;

namespace Conductor.Tests.Cli;

/// <summary>sbatch's options, in every spelling sbatch documents, against the submit body they produce.</summary>
public class SbatchOptionTableTests
{
    private const string Script = "#!/bin/bash\necho hi\n";

    [Theory]
    [InlineData(new[] { "-J", "md" }, "name", "md")]
    [InlineData(new[] { "-Jmd" }, "name", "md")]
    [InlineData(new[] { "--job-name=md" }, "name", "md")]
    [InlineData(new[] { "--job-name", "md" }, "name", "md")]
    [InlineData(new[] { "--job=md" }, "name", "md")]
    [InlineData(new[] { "-A", "proj" }, "account", "proj")]
    [InlineData(new[] { "--account=proj" }, "account", "proj")]
    [InlineData(new[] { "-p", "gpu" }, "partition", "gpu")]
    [InlineData(new[] { "--partition=gpu" }, "partition", "gpu")]
    [InlineData(new[] { "-n", "4" }, "ntasks_per_node", "4")]
    [InlineData(new[] { "--ntasks=4" }, "ntasks_per_node", "4")]
    [InlineData(new[] { "--ntasks-per-node=3" }, "ntasks_per_node", "3")]
    [InlineData(new[] { "-c", "8" }, "cpus_per_task", "8")]
    [InlineData(new[] { "--cpus-per-task=8" }, "cpus_per_task", "8")]
    [InlineData(new[] { "--mem=2G" }, "memory_per_node", "2048M")]
    [InlineData(new[] { "--mem=512" }, "memory_per_node", "512M")]
    [InlineData(new[] { "--mem=1T" }, "memory_per_node", "1048576M")]
    [InlineData(new[] { "--mem=2048K" }, "memory_per_node", "2M")]
    [InlineData(new[] { "--mem-per-cpu=1G", "-c", "4" }, "memory_per_node", "4096M")]
    [InlineData(new[] { "--mem-per-cpu=500", "-n", "2", "-c", "3" }, "memory_per_node", "3000M")]
    [InlineData(new[] { "-o", "out-%j.txt" }, "standard_output", "out-%j.txt")]
    [InlineData(new[] { "--output=%x-%A_%a.log" }, "standard_output", "%x-%A_%a.log")]
    [InlineData(new[] { "-e", "err-%u.txt", "-A", "alice" }, "standard_error", "err-alice.txt")]
    [InlineData(new[] { "-o", "o-%n-%t-%s.txt" }, "standard_output", "o-0-0-batch.txt")]
    [InlineData(new[] { "-o", "100%%.txt" }, "standard_output", "100%%.txt")]
    [InlineData(new[] { "-D", "/data/run" }, "current_working_directory", "/data/run")]
    [InlineData(new[] { "--chdir=sub" }, "current_working_directory", "/tmp/submit-dir/sub")]
    [InlineData(new[] { "-a", "0-9%2" }, "array", "0-9%2")]
    [InlineData(new[] { "--array=1,3,5" }, "array", "1,3,5")]
    [InlineData(new[] { "-d", "afterok:12:13" }, "dependency", "afterok:12:13")]
    [InlineData(new[] { "--dependency=afterany:7" }, "dependency", "afterany:7")]
    [InlineData(new[] { "--begin=now+1hour" }, "begin_time", "2026-03-10T13:00:00Z")]
    [InlineData(new[] { "-b", "now+90" }, "begin_time", "2026-03-10T12:01:30Z")]
    [InlineData(new[] { "--begin=2026-12-01T02:00:00" }, "begin_time", "2026-12-01T02:00:00Z")]
    [InlineData(new[] { "--exclusive" }, "exclusive", "true")]
    [InlineData(new[] { "--nice=3" }, "priority", "2")]
    [InlineData(new[] { "--nice" }, "priority", "0")]
    [InlineData(new[] { "--nice=-10" }, "priority", "15")]
    [InlineData(new[] { "--priority=20" }, "priority", "20")]
    [InlineData(new[] { "-N", "1" }, "ntasks_per_node", "1")]
    [InlineData(new[] { "--nodes=1-1" }, "ntasks_per_node", "1")]
    [InlineData(new[] { "--gres=gpu:1" }, "gres", "gpu:1")]
    [InlineData(new[] { "--gres", "gpu:a100:2" }, "gres", "gpu:a100:2")]
    [InlineData(new[] { "--gpus=2" }, "gpus", "2")]
    [InlineData(new[] { "-G2" }, "gpus", "2")]
    [InlineData(new[] { "--gpus=a100:1" }, "gpus", "a100:1")]
    [InlineData(new[] { "--gpus-per-node=1" }, "gpus", "1")]
    public void An_option_in_any_documented_spelling_sets_its_field(string[] args, string field, string expected)
    {
        var job = CliTestContext.Job(Script, args);

        job[field]!.ToString().Should().Be(expected);
    }

    [Theory]
    [InlineData("30", "0-00:30:00")]
    [InlineData("90", "0-01:30:00")]
    [InlineData("5:30", "0-00:05:30")]
    [InlineData("1:30:00", "0-01:30:00")]
    [InlineData("2-12", "2-12:00:00")]
    [InlineData("2-12:30", "2-12:30:00")]
    [InlineData("1-00:00:05", "1-00:00:05")]
    [InlineData("0", "UNLIMITED")]
    [InlineData("UNLIMITED", "UNLIMITED")]
    [InlineData("infinite", "UNLIMITED")]
    public void A_slurm_time_is_read_as_sbatch_documents_it_and_sent_as_days_hours_minutes_seconds(string time, string wire)
    {
        CliTestContext.Job(Script, "-t", time)["time_limit"]!.ToString().Should().Be(wire);
        CliTestContext.Job(Script, $"--time={time}")["time_limit"]!.ToString().Should().Be(wire);
    }

    [Fact]
    public void Gres_none_asks_for_no_gpus()
    {
        CliTestContext.Job(Script, "--gres=none")["gres"].Should().BeNull();
        CliTestContext.Job(Script)["gpus"].Should().BeNull("none unless asked");
    }

    [Theory]
    [InlineData("-H", "hold")]
    [InlineData("--hold", "hold")]
    [InlineData("--requeue", "requeue")]
    public void Hold_and_requeue_are_sent_as_the_jobs_fields(string option, string field)
    {
        CliTestContext.Job(Script, option)[field]!.GetValue<bool>().Should().BeTrue();
        CliTestContext.Job(Script)[field].Should().BeNull("off unless asked");
    }

    [Theory]
    [InlineData("--gpus-per-task=1", "--gpus-per-task")]
    [InlineData("--mem-per-gpu=1G", "--mem-per-gpu")]
    [InlineData("-N2", "--nodes=2")]
    [InlineData("--nodes=2-4", "--nodes=2-4")]
    [InlineData("--open-mode=append", "--open-mode=append")]
    [InlineData("--exclusive=user", "--exclusive=user")]
    [InlineData("-w", "--nodelist")]
    public void An_option_conductor_cannot_honour_is_an_error_naming_it(string option, string named)
    {
        var args = option == "-w" ? new[] { "-w", "node1" } : new[] { option };

        var act = () => CliTestContext.Job(Script, args);

        act.Should().Throw<SlurmUsageException>().Which.Message.Should().Contain(named).And.Contain("not supported yet");
    }

    [Theory]
    [InlineData("-t", "1:2:3:4", "Invalid time limit")]
    [InlineData("-t", "abc", "Invalid time limit")]
    [InlineData("--mem", "12X", "Invalid --mem")]
    [InlineData("--mem", "0", "not supported yet")]
    [InlineData("-c", "0", "--cpus-per-task")]
    [InlineData("-n", "x", "--ntasks")]
    [InlineData("--begin", "someday", "Invalid --begin")]
    [InlineData("-o", "out-%N.txt", "%N")]
    public void A_bad_value_is_an_error_naming_the_option(string option, string value, string message)
    {
        var act = () => CliTestContext.Job(Script, option, value);

        act.Should().Throw<SlurmUsageException>().Which.Message.Should().Contain(message);
    }

    [Fact]
    public void An_unknown_command_line_option_is_an_error_as_in_sbatch()
    {
        var act = () => CliTestContext.Job(Script, "--frobnicate");

        act.Should().Throw<SlurmUsageException>().WithMessage("unrecognized option '--frobnicate'");
    }

    [Fact]
    public void Mem_and_mem_per_cpu_together_on_one_level_conflict_but_the_command_line_overrides_the_script()
    {
        var act = () => CliTestContext.Job(Script, "--mem=1G", "--mem-per-cpu=1G");
        act.Should().Throw<SlurmUsageException>().WithMessage("*mutually exclusive*");

        var job = CliTestContext.Job("#!/bin/bash\n#SBATCH --mem-per-cpu=100\necho\n", "--mem=3G");
        job["memory_per_node"]!.ToString().Should().Be("3072M");
    }

    [Fact]
    public void Ntasks_beyond_ntasks_per_node_would_need_two_nodes_and_is_refused()
    {
        var act = () => CliTestContext.Job(Script, "-n", "8", "--ntasks-per-node=4");

        act.Should().Throw<SlurmUsageException>().WithMessage("*more than one node*");
    }

    [Fact]
    public void Defaults_follow_sbatch_the_script_name_the_submit_directory_and_one_slurm_out_file_for_both_streams()
    {
        var job = CliTestContext.Job(Script);

        job["name"]!.ToString().Should().Be("job.sh");
        job["current_working_directory"]!.ToString().Should().Be("/tmp/submit-dir");
        job["standard_output"]!.ToString().Should().Be("slurm-%j.out");
        job["standard_error"]!.ToString().Should().Be("slurm-%j.out");
        job.ContainsKey("time_limit").Should().BeFalse("no -t leaves the partition's default");
        CliTestContext.Job(Script, "-a", "1-3")["standard_output"]!.ToString().Should().Be("slurm-%A_%a.out");
    }
}
