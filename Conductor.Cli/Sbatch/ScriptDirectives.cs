using System.Text;

namespace Conductor.Cli.Sbatch;

/// <summary>
/// The <c>#SBATCH</c> lines of a batch script, read as sbatch reads them: only at the top, before
/// the first line that is neither blank nor a comment; <c>#SBATCH</c> must start the line (so
/// <c>##SBATCH</c> and <c># SBATCH</c> disable a line, as users rely on); the rest of the line is
/// split like a shell would (quotes, backslashes), and a word starting with <c>#</c> begins a comment.
/// </summary>
internal static class ScriptDirectives
{
    private const string Magic = "#SBATCH";

    public static List<string> Read(string script)
    {
        var args = new List<string>();
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(Magic, StringComparison.Ordinal) && (line.Length == Magic.Length || char.IsWhiteSpace(line[Magic.Length])))
            {
                args.AddRange(Split(line[Magic.Length..]));
                continue;
            }
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            break;
        }
        return args;
    }

    /// <summary>Shell-like word splitting of one line: '...' literal, "..." with \" and \\, a bare # at a word start ends the line.</summary>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            if (c == '#' && !inWord) break;
            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0) throw new Slurm.SlurmUsageException($"unmatched quote in '#SBATCH{text}'");
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i = DoubleQuoted(text, i + 1, word);
                    break;
                case '\\' when i + 1 < text.Length:
                    word.Append(text[++i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    private static int DoubleQuoted(string text, int i, StringBuilder word)
    {
        for (; i < text.Length; i++)
        {
            if (text[i] == '"') return i;
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`') i++;
            word.Append(text[i]);
        }
        throw new Slurm.SlurmUsageException($"unmatched quote in '#SBATCH{text}'");
    }

    /// <summary>
    /// sbatch passes arguments after the script to it as $1...; Conductor runs a script without
    /// arguments, so a bash or sh script gets a <c>set --</c> line right after its interpreter line.
    /// </summary>
    public static string WithArguments(string script, IReadOnlyList<string> args)
    {
        if (args.Count == 0) return script;
        var firstLineEnd = script.IndexOf('\n');
        var first = firstLineEnd < 0 ? script : script[..firstLineEnd];
        var hasShebang = first.StartsWith("#!", StringComparison.Ordinal);
        if (hasShebang && !first.Contains("bash", StringComparison.Ordinal) && !first.Contains("/sh", StringComparison.Ordinal))
            throw new Slurm.SlurmUsageException($"script arguments are only supported for bash and sh scripts (this one starts with '{first.Trim()}')");
        var set = "set -- " + string.Join(' ', args.Select(Quote)) + "\n";
        if (!hasShebang) return set + script;
        return firstLineEnd < 0 ? script + "\n" + set : script[..(firstLineEnd + 1)] + set + script[(firstLineEnd + 1)..];
    }

    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
