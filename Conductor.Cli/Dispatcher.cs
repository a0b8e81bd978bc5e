using Conductor.Cli.Commands;
using Conductor.Cli.Config;
using Conductor.Cli.Sbatch;

namespace Conductor.Cli;

/// <summary>
/// One executable, many names: called as <c>sbatch</c>, <c>squeue</c>, <c>scancel</c>,
/// <c>sacct</c>, <c>sinfo</c> or <c>scontrol</c> (a link to it) it is that command; called as
/// <c>conductor</c> it takes the command as its first word. The Slurm commands parse their
/// arguments with Slurm's own option tables (getopt_long's rules, which a general parser cannot
/// express: sbatch stops at the script); the rest of the tree is System.CommandLine's.
/// </summary>
internal static class Dispatcher
{
    public static readonly string[] SlurmCommands = ["sbatch", "squeue", "scancel", "sacct", "sinfo", "scontrol"];

    /// <summary>argv[0] as the user typed it: the apphost keeps it in /proc/self/cmdline even when started through a link.</summary>
    public static string InvokedName()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            var end = Array.IndexOf(cmdline, (byte)0);
            return Path.GetFileName(System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end));
        }
        catch (IOException)
        {
            return "conductor";
        }
    }

    public static async Task<int> RunAsync(string invokedAs, string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var env = CliContext.ProcessEnvironment();
        try
        {
            if (SlurmCommands.Contains(invokedAs)) return await RunSlurmAsync(invokedAs, args, Context(null, null, env, cancel.Token));
            var (url, token, rest) = GlobalOptions(args);
            if (rest.Count > 0 && SlurmCommands.Contains(rest[0])) return await RunSlurmAsync(rest[0], rest.Skip(1).ToList(), Context(url, token, env, cancel.Token));
            return await CommandTree.RunAsync(args, (u, t) => Context(u, t, env, cancel.Token));
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"conductor: error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static CliContext Context(string? url, string? token, IReadOnlyDictionary<string, string> env, CancellationToken ct) =>
        new(CliConfig.Load(url, token, env), env, Environment.CurrentDirectory, Console.In, Console.IsInputRedirected,
            Console.Out, Console.Error, TimeProvider.System) { Cancel = ct };

    /// <summary>--url and --token before the command word (conductor --url U sbatch ...).</summary>
    private static (string? Url, string? Token, List<string> Remaining) GlobalOptions(string[] args)
    {
        string? url = null, token = null;
        var i = 0;
        for (; i < args.Length; i++)
        {
            var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], null);
            if (name is not ("--url" or "--token")) break;
            if (value is null)
            {
                if (i + 1 >= args.Length) throw new CliException($"{name} needs a value");
                value = args[++i];
            }
            if (name == "--url") url = value;
            else token = value;
        }
        return (url, token, args.Skip(i).ToList());
    }

    public static Task<int> RunSlurmAsync(string command, IReadOnlyList<string> args, CliContext cx) => command switch
    {
        "sbatch" => SbatchCommand.RunAsync(args, cx),
        "squeue" => SqueueCommand.RunAsync(args, cx),
        "scancel" => ScancelCommand.RunAsync(args, cx),
        "sacct" => SacctCommand.RunAsync(args, cx),
        "sinfo" => SinfoCommand.RunAsync(args, cx),
        _ => ScontrolCommand.RunAsync(args, cx),
    };
}
