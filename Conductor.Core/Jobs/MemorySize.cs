using System.Globalization;

namespace Conductor.Core.Jobs;

/// <summary>Slurm memory sizes: a number with an optional K, M (default), G or T suffix.</summary>
public static class MemorySize
{
    public const long MaxMb = 64L * 1024 * 1024; // 64 TiB

    public static bool TryParseMb(string? text, out long megabytes)
    {
        megabytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        var unit = char.ToUpperInvariant(text[^1]);
        var number = char.IsAsciiDigit(unit) ? text : text[..^1];
        if (number.EndsWith('B') || number.EndsWith('b')) return false;
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || number.Length > 12)
            return false;
        double mb = unit switch
        {
            'K' => value / 1024.0,
            'M' => value,
            'G' => value * 1024.0,
            'T' => value * 1024.0 * 1024.0,
            _ when char.IsAsciiDigit(unit) => value,
            _ => -1,
        };
        if (mb < 1 || mb > MaxMb) return false;
        megabytes = (long)Math.Ceiling(mb);
        return true;
    }
}
