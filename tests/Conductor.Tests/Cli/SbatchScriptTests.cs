using Conductor.Cli.Sbatch;
using Conductor.Cli.Slurm;

namespace Conductor.Tests.Cli;

/// <summary>#SBATCH lines, their precedence, --wrap, --export and script arguments, as sbatch reads them.</summary>
public class SbatchScriptTests
{
    [Fact]
    public void Sbatch_lines_are_read_only_before_the_first_command_and_disabled_forms_are_comments()
    {
        const string script = """
            #!/bin/bash
            # a comment
            #SBATCH --job-name="my job"   # trailing comment
            ##SBATCH --partition=disabled
            # SBATCH --account=disabled

            #SBATCH -n 2 -c 3
            echo start
            #SBATCH --time=99
            """;

        var args = ScriptDirectives.Read(script);

        args.Should().Equal("--job-name=my job", "-n", "2", "-c", "3");
    }

    [Fact]
    public void The_command_line_overrides_sbatch_variables_which_override_the_script()
    {
        const string script = "#!/bin/bash\n#SBATCH -J from-script -p script-part -t 10\necho\n";
        var env = new Dictionary<string, string> { ["SBATCH_PARTITION"] = "env-part", ["SBATCH_JOB_NAME"] = "from-env" };

        var job = CliTestContext.Body(script, ["-J", "from-cli"], env)["job"]!;

        job["name"]!.ToString().Should().Be("from-cli");
        job["partition"]!.ToString().Should().Be("env-part");
        job["time_limit"]!.ToString().Should().Be("0-00:10:00");
    }

    [Fact]
    public void An_unknown_sbatch_line_warns_and_a_refused_one_fails()
    {
        var (request, _) = SbatchCommand.Prepare(["--wrap", "true"], CliTestContext.Create())!.Value;
        request.Warnings.Should().BeEmpty();

        var dir = Directory.CreateTempSubdirectory("cli-test-");
        File.WriteAllText(Path.Combine(dir.FullName, "a.sh"), "#!/bin/bash\n#SBATCH --frobnicate=1\n#SBATCH --mail-type=END\necho\n");
        File.WriteAllText(Path.Combine(dir.FullName, "b.sh"), "#!/bin/bash\n#SBATCH --gpus-per-task=2\necho\n");
        var cx = CliTestContext.Create(cwd: dir.FullName);

        SbatchCommand.Prepare(["a.sh"], cx)!.Value.Item1.Warnings.Should()
            .Contain(w => w.Contains("--frobnicate")).And.Contain(w => w.Contains("--mail-type"));
        var act = () => SbatchCommand.Prepare(["b.sh"], cx);
        act.Should().Throw<SlurmUsageException>().WithMessage("*--gpus-per-task*not supported yet*");
        dir.Delete(recursive: true);
    }

    [Fact]
    public void Wrap_makes_an_sh_script_named_wrap_and_refuses_a_script_beside_it()
    {
        var (_, body) = SbatchCommand.Prepare(["--wrap=hostname; echo done"], CliTestContext.Create())!.Value;

        body["script"]!.ToString().Should().StartWith("#!/bin/sh\n").And.Contain("hostname; echo done");
        body["job"]!["name"]!.ToString().Should().Be("wrap");
        var act = () => SbatchCommand.Prepare(["--wrap", "true", "job.sh"], CliTestContext.Create());
        act.Should().Throw<SlurmUsageException>().WithMessage("*not permitted with --wrap*");
    }

    [Fact]
    public void Options_after_the_script_belong_to_the_script_and_become_its_arguments()
    {
        var body = CliTestContext.Body("#!/bin/bash\necho \"$@\"\n", ["-J", "x"], null, ["-n", "it's"]);

        body["job"]!["ntasks_per_node"]!.GetValue<int>().Should().Be(1, "-n after the script is the script's");
        body["script"]!.ToString().Should().Be("#!/bin/bash\nset -- '-n' 'it'\\''s'\necho \"$@\"\n");
    }

    [Fact]
    public void A_script_without_an_interpreter_line_is_refused_as_sbatch_does()
    {
        var act = () => CliTestContext.Job("echo hi\n");

        act.Should().Throw<SlurmUsageException>().WithMessage("*first line must start with #!*");
    }

    [Fact]
    public void Export_all_sends_the_environment_without_identity_reserved_or_secret_names()
    {
        var env = new Dictionary<string, string>
        {
            ["OMP_NUM_THREADS"] = "4", ["HOME"] = "/root", ["LD_PRELOAD"] = "x.so", ["SLURM_JOB_ID"] = "1", ["CONDUCTOR_TOKEN"] = "secret",
            ["ConnectionStrings__Postgres"] = "Password=p", ["BASH_FUNC_x%%"] = "() { :; }", ["PATH"] = "/opt/bin:/usr/bin",
        };

        var sent = ExportSpec.Resolve(null, env);

        sent.Should().BeEquivalentTo(new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "4", ["PATH"] = "/opt/bin:/usr/bin" });
    }

    [Theory]
    [InlineData("NONE", "")]
    [InlineData("A", "A=1")]
    [InlineData("A,B=two", "A=1 B=two")]
    [InlineData("ALL,B=two", "A=1 B=two C=3")]
    [InlineData("MISSING", "")]
    public void Export_lists_send_exactly_what_they_name(string spec, string expected)
    {
        var env = new Dictionary<string, string> { ["A"] = "1", ["B"] = "2", ["C"] = "3" };

        var sent = ExportSpec.Resolve(spec, env);

        string.Join(' ', sent.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}")).Should().Be(expected);
    }

    [Fact]
    public void Exporting_a_reserved_name_explicitly_is_an_error_naming_it()
    {
        var act = () => ExportSpec.Resolve("LD_PRELOAD=/tmp/x.so", new Dictionary<string, string>());

        act.Should().Throw<SlurmUsageException>().WithMessage("*LD_PRELOAD is reserved*");
    }

    [Theory]
    [InlineData("--parsable", true)]
    [InlineData("--parsa", true)]
    public void Long_options_may_be_abbreviated_to_a_unique_prefix(string spelled, bool parsable)
    {
        var (request, _) = SbatchCommand.Prepare([spelled, "--wrap", "true"], CliTestContext.Create())!.Value;

        request.Parsable.Should().Be(parsable);
    }

    [Fact]
    public void An_ambiguous_prefix_is_an_error_listing_the_candidates()
    {
        var act = () => SbatchCommand.Prepare(["--mem-per", "1", "--wrap", "true"], CliTestContext.Create());

        act.Should().Throw<SlurmUsageException>().WithMessage("*ambiguous*--mem-per-cpu*--mem-per-gpu*");
    }
}
