using System.Globalization;

namespace Conductor.Core.Accounts;

/// <summary>
/// The uids a worker hands out to accounts (<c>Conductor:Worker:UidRange</c>, "first-last",
/// inclusive). Below 1000 are the system's own users by convention, and uids are kept within a
/// PostgreSQL integer, so a range that reaches either is refused at start rather than used.
/// </summary>
public readonly record struct UidRange(int First, int Last)
{
    public const string Default = "200000-299999";
    public const int Lowest = 1000;

    public bool Contains(long uid) => uid >= First && uid <= Last;

    public override string ToString() => $"{First}-{Last}";

    public static UidRange Parse(string? text)
    {
        var parts = (text ?? "").Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                              || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            throw new FormatException($"UidRange '{text}' is not of the form first-last, e.g. {Default}.");
        if (first < Lowest) throw new FormatException($"UidRange '{text}' starts below {Lowest}, among the system's own users.");
        if (last < first) throw new FormatException($"UidRange '{text}' ends before it starts.");
        if (last == int.MaxValue) throw new FormatException($"UidRange '{text}' must end below {int.MaxValue}.");
        return new UidRange(first, last);
    }
}
