using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conductor.Cli.Config;

/// <summary>
/// Where the API is and who we are, like the tools people know: <c>--url</c>/<c>--token</c> flags
/// first, then <c>CONDUCTOR_URL</c>/<c>CONDUCTOR_TOKEN</c> (and <c>CONDUCTOR_ACCOUNT</c>), then the
/// config file (<c>$CONDUCTOR_CONFIG</c>, else <c>$XDG_CONFIG_HOME/conductor/config.json</c>, else
/// <c>~/.config/conductor/config.json</c>), then <c>http://127.0.0.1:8000</c> without a token.
/// </summary>
internal sealed record CliConfig(string Url, string? Token, string? Account)
{
    public const string DefaultUrl = "http://127.0.0.1:8000";

    public static string FilePath(IReadOnlyDictionary<string, string> env)
    {
        if (env.GetValueOrDefault("CONDUCTOR_CONFIG") is { Length: > 0 } explicitPath) return explicitPath;
        var baseDir = env.GetValueOrDefault("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(env.GetValueOrDefault("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(baseDir, "conductor", "config.json");
    }

    public static CliConfig Load(string? urlFlag, string? tokenFlag, IReadOnlyDictionary<string, string> env)
    {
        var file = ReadFile(FilePath(env));
        var url = urlFlag ?? Env(env, "CONDUCTOR_URL") ?? file?["url"]?.GetValue<string>() ?? DefaultUrl;
        var token = tokenFlag ?? Env(env, "CONDUCTOR_TOKEN") ?? file?["token"]?.GetValue<string>();
        var account = Env(env, "CONDUCTOR_ACCOUNT") ?? file?["account"]?.GetValue<string>();
        return new CliConfig(url.TrimEnd('/'), token, account);
    }

    private static string? Env(IReadOnlyDictionary<string, string> env, string name) => env.GetValueOrDefault(name) is { Length: > 0 } v ? v : null;

    private static JsonNode? ReadFile(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Writes the file readable by its owner only (0600; the directory 0700), replacing it atomically.</summary>
    public static void Save(string path, CliConfig config)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var json = new JsonObject { ["url"] = config.Url, ["token"] = config.Token };
        if (config.Account is not null) json["account"] = config.Account;
        var temp = Path.Combine(dir, $".config.json.{Environment.ProcessId}");
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(json, new JsonSerializerOptions { WriteIndented = true }));
        }
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>An error to print as one line, with the exit code to leave with.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
