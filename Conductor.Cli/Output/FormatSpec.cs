using System.Globalization;
using System.Text;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Output;

/// <summary>One %-field of a squeue/sinfo format: its letter, width (0: as wide as the value) and alignment.</summary>
internal sealed record FormatField(char Letter, int Width, bool Right);

/// <summary>
/// squeue's and sinfo's <c>-o</c> format strings: <c>%[.][-][width]letter</c> fields between
/// literal text, as in <c>"%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"</c>. A '.' aligns right;
/// a value longer than its width is cut to it, as Slurm does.
/// </summary>
internal sealed class FormatSpec
{
    private readonly List<object> _parts = []; // string (literal) or FormatField

    public IEnumerable<FormatField> Fields => _parts.OfType<FormatField>();

    public static FormatSpec Parse(string format, string letters, string option)
    {
        var spec = new FormatSpec();
        var literal = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                literal.Append(format[i]);
                continue;
            }
            if (i + 1 < format.Length && format[i + 1] == '%')
            {
                literal.Append('%');
                i++;
                continue;
            }
            var j = i + 1;
            var right = j < format.Length && format[j] == '.';
            if (right) j++;
            if (j < format.Length && format[j] == '-') j++;
            var start = j;
            while (j < format.Length && char.IsAsciiDigit(format[j])) j++;
            var width = j > start ? int.Parse(format[start..j], CultureInfo.InvariantCulture) : 0;
            if (j >= format.Length || !letters.Contains(format[j]))
                throw new SlurmUsageException($"{option}: unknown field '{format[i..Math.Min(j + 1, format.Length)]}'; known: {string.Join(' ', letters.Select(c => "%" + c))}");
            if (literal.Length > 0) spec._parts.Add(literal.ToString());
            literal.Clear();
            spec._parts.Add(new FormatField(format[j], width, right));
            i = j;
        }
        if (literal.Length > 0) spec._parts.Add(literal.ToString());
        return spec;
    }

    public string Render(Func<char, string> value)
    {
        var line = new StringBuilder();
        foreach (var part in _parts)
            line.Append(part is FormatField f ? Fit(value(f.Letter), f.Width, f.Right) : (string)part);
        return line.ToString().TrimEnd();
    }

    public static string Fit(string value, int width, bool right)
    {
        if (width <= 0) return value;
        if (value.Length > width) return value[..width];
        return right ? value.PadLeft(width) : value.PadRight(width);
    }
}
