using System.CommandLine;
using Conductor.Cli.Commands;

namespace Conductor.Cli;

/// <summary>
/// <c>conductor</c>'s own commands (logs, wait, login, config, install-links) on System.CommandLine;
/// the Slurm commands are listed here for help and handed to their own option tables.
/// </summary>
internal static class CommandTree
{
    public static Task<int> RunAsync(string[] args, Func<string?, string?, CliContext> context)
    {
        var url = new Option<string?>("--url") { Description = "the Conductor API (default: CONDUCTOR_URL, the config file, http://127.0.0.1:8000)", Recursive = true };
        var token = new Option<string?>("--token") { Description = "a bearer token (default: CONDUCTOR_TOKEN, the config file)", Recursive = true };
        var root = new RootCommand("conductor: the Slurm command line for Conductor") { url, token };
        CliContext Cx(ParseResult p) => context(p.GetValue(url), p.GetValue(token));

        foreach (var name in Dispatcher.SlurmCommands)
        {
            var rest = new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore, Description = $"{name}'s own options, as in Slurm" };
            var slurm = new Command(name, $"Slurm's {name} ({name} --help for its options)") { rest };
            slurm.TreatUnmatchedTokensAsErrors = false;
            slurm.SetAction((p, _) => Dispatcher.RunSlurmAsync(name, [.. p.GetValue(rest) ?? [], .. p.UnmatchedTokens], Cx(p)));
            root.Add(slurm);
        }
        root.Add(LogsCommand.Create(Cx));
        root.Add(WaitCommand.Create(Cx));
        root.Add(LoginCommand.Create(Cx));
        root.Add(ConfigCommand.Create(Cx));
        root.Add(InstallLinksCommand.Create());
        // A CliException is one line and an exit code (the dispatcher prints it), not a stack trace.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}
