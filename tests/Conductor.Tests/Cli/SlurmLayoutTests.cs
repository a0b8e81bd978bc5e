using System.Text.Json;
using Conductor.Cli.Api;
using Conductor.Cli.Commands;
using Conductor.Cli.Output;

namespace Conductor.Tests.Cli;

/// <summary>squeue's and sacct's columns, widths and state names, as Slurm lays them out.</summary>
public class SlurmLayoutTests
{
    private static JobInfo Job(string json) => JobInfo.From(JsonDocument.Parse(json).RootElement);

    private static readonly DateTimeOffset Now = CliTestContext.Now;

    [Fact]
    public void Squeue_default_format_has_slurms_header_and_right_aligned_widths()
    {
        var format = FormatSpec.Parse(SqueueCommand.DefaultFormat, "iAFKjuaPtTMlLDRNrCmQpVSeZE", "-o");
        var running = Job("""{"job_id":"42","name":"a-very-long-name","state":"RUNNING","account":"alice","partition":"default","node":"n1","start_time":"2026-03-10T11:58:55Z","submit_time":"2026-03-10T11:58:00Z"}""");
        var pending = Job("""{"job_id":"43","name":"b","state":"PENDING","reason":"Dependency","account":"bob","partition":"default"}""");

        format.Render(SqueueCommand.Header).Should().Be("             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)");
        format.Render(c => SqueueCommand.Value(c, running, Now)).Should().Be("                42   default a-very-l    alice  R       1:05      1 n1");
        format.Render(c => SqueueCommand.Value(c, pending, Now)).Should().Be("                43   default        b      bob PD       0:00      1 (Dependency)");
    }

    [Fact]
    public void A_custom_format_takes_left_alignment_literal_text_and_unknown_fields_are_errors()
    {
        var format = FormatSpec.Parse("%i|%-6j|%t", "ijt", "-o");
        var job = Job("""{"job_id":"7","name":"x","state":"COMPLETED"}""");

        format.Render(c => SqueueCommand.Value(c, job, Now)).Should().Be("7|x     |CD");
        var act = () => FormatSpec.Parse("%i %Y", "ijt", "-o");
        act.Should().Throw<Conductor.Cli.Slurm.SlurmUsageException>().WithMessage("*%Y*");
    }

    [Fact]
    public void Sacct_default_columns_have_a_dashed_rule_and_exit_codes_as_code_colon_signal()
    {
        var columns = SacctCommand.Columns(SacctCommand.DefaultFormat);
        var killed = Job("""{"job_id":"9","state":"FAILED","reason":"TimeLimit","time":{"start_time":"2026-03-10T11:00:00Z","end_time":"2026-03-10T11:30:00Z"},"detail":{"job_name":"sim","account":"alice","partition":"default","allocated_cpus":4,"exit_code":"0:9","exit_status":137}}""");
        var failed = Job("""{"job_id":"10","name":"post","state":"FAILED","reason":"NonZeroExitCode","account":"alice","partition":"default","cpus":1,"exit_code":"2:0","start_time":"2026-03-10T11:00:00Z","end_time":"2026-03-10T11:00:03Z"}""");

        var lines = SacctCommand.Render(columns, [killed, failed], new SacctCommand.Request(), Now).ToList();

        lines[0].Should().Be("JobID           JobName  Partition    Account  AllocCPUS      State ExitCode    Elapsed ");
        lines[1].Should().Be("------------ ---------- ---------- ---------- ---------- ---------- -------- ---------- ");
        lines[2].Should().Be("9                   sim    default      alice          4    TIMEOUT      0:9   00:30:00 ");
        lines[3].Should().Be("10                 post    default      alice          1     FAILED      2:0   00:00:03 ");
    }

    [Theory]
    [InlineData("0:0", null, 0)]
    [InlineData("2:0", null, 2)]
    [InlineData("0:9", null, 137)]
    [InlineData("137:9", null, 137)]
    [InlineData("0:15", 143, 143)]
    public void A_jobs_shell_exit_code_comes_from_exit_status_or_from_code_and_signal(string exitCode, int? status, int expected)
    {
        var job = new JobInfo("1", "FAILED", null, "n", "a", "p", 1, null, null, null, null, exitCode, status, null, null, null, null, null, null);

        job.ShellExitCode().Should().Be(expected);
    }
}
