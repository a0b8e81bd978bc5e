using System.CommandLine;
using Conductor.Cli.Api;
using Conductor.Cli.Config;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>conductor login [--url URL] [--token T] [--account A]</c>: checks the token against the API,
/// then stores URL and token in the config file, readable by its owner only (0600). Without
/// --token the token is read from standard input, so it need not appear in the shell's history.
/// </summary>
internal static class LoginCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var account = new Option<string?>("--account") { Description = "your account (used for --me and %u)" };
        var command = new Command("login", "check a token and store it in the config file (0600)") { account };
        command.SetAction((p, _) => RunAsync(p.GetValue(account), context(p)));
        return command;
    }

    public static async Task<int> RunAsync(string? account, CliContext cx)
    {
        var token = cx.Config.Token;
        if (string.IsNullOrEmpty(token))
        {
            if (!cx.StdinRedirected) await cx.Error.WriteAsync("Token: ");
            token = (await cx.Stdin.ReadLineAsync(cx.Cancel))?.Trim();
        }
        if (string.IsNullOrEmpty(token)) throw new CliException("no token given (--token, CONDUCTOR_TOKEN or standard input)");
        var config = cx.Config with { Token = token, Account = account ?? cx.Config.Account };
        using (var client = new ApiClient(config))
        {
            try
            {
                await client.GetAsync("jobs?limit=1", cx.Cancel);
            }
            catch (Exception e) when (e is ApiException or ApiUnreachableException)
            {
                throw new CliException($"login failed: {e.Message}");
            }
        }
        var path = CliConfig.FilePath(cx.Environment);
        CliConfig.Save(path, config);
        await cx.Out.WriteLineAsync($"Logged in to {config.Url}; token stored in {path} (mode 0600).");
        return 0;
    }
}
