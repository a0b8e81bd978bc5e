using System.Globalization;

namespace Conductor.Cli.Slurm;

/// <summary>Slurm's memory sizes: a number with an optional K, M, G or T suffix; megabytes without one.</summary>
internal static class SlurmMemory
{
    public static long ParseMb(string text, string option)
    {
        var t = text.Trim();
        if (t.Length == 0) throw Bad(text, option);
        var unit = char.ToUpperInvariant(t[^1]);
        var number = char.IsAsciiDigit(unit) ? t : t[..^1];
        var scale = unit switch
        {
            'K' => 1.0 / 1024,
            'M' => 1,
            'G' => 1024,
            'T' => 1024 * 1024,
            _ when char.IsAsciiDigit(unit) => 1,
            _ => throw Bad(text, option),
        };
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || number.Length > 12) throw Bad(text, option);
        if (value == 0)
            throw new SlurmUsageException($"{option}=0 (all of a node's memory) is not supported yet: give a size, or add --exclusive with a size");
        return (long)Math.Ceiling(value * scale);
    }

    private static SlurmUsageException Bad(string text, string option) =>
        new($"Invalid {option} specification '{text}': use a number of megabytes or a size such as 512M, 16G or 1T");
}
