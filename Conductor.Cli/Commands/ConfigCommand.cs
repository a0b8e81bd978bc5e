using System.CommandLine;
using Conductor.Cli.Config;

namespace Conductor.Cli.Commands;

/// <summary><c>conductor config</c>: where the CLI will connect and whether it has a token (never the token itself).</summary>
internal static class ConfigCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var command = new Command("config", "show the URL, the config file and whether a token is set");
        command.SetAction(p =>
        {
            var cx = context(p);
            cx.Out.WriteLine($"url:     {cx.Config.Url}");
            cx.Out.WriteLine($"token:   {(string.IsNullOrEmpty(cx.Config.Token) ? "(none)" : "set")}");
            cx.Out.WriteLine($"account: {cx.Config.Account ?? "(not set)"}");
            cx.Out.WriteLine($"file:    {CliConfig.FilePath(cx.Environment)}");
            return 0;
        });
        return command;
    }
}

/// <summary>
/// <c>conductor install-links DIR</c>: links sbatch, squeue, scancel, sacct, sinfo and scontrol in
/// DIR to this executable, which then behaves as the command it is called by.
/// </summary>
internal static class InstallLinksCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("directory") { Description = "a directory on PATH, such as ~/.local/bin" };
        var force = new Option<bool>("--force") { Description = "replace existing files of those names" };
        var command = new Command("install-links", "put sbatch, squeue, scancel, sacct, sinfo, scontrol on PATH as links to conductor") { dir, force };
        command.SetAction(p =>
        {
            var target = Environment.ProcessPath ?? throw new CliException("cannot tell where this executable is");
            var into = Path.GetFullPath(p.GetValue(dir)!);
            Directory.CreateDirectory(into);
            foreach (var name in Dispatcher.SlurmCommands)
            {
                var link = Path.Combine(into, name);
                if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null)
                {
                    if (!p.GetValue(force)) throw new CliException($"{link} exists; --force replaces it");
                    File.Delete(link);
                }
                File.CreateSymbolicLink(link, target);
                Console.WriteLine($"{link} -> {target}");
            }
            return 0;
        });
        return command;
    }
}
