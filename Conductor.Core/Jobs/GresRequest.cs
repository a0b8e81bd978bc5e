using System.Globalization;
using System.Text.RegularExpressions;

namespace Conductor.Core.Jobs;

/// <summary>
/// A job's GPU request: how many devices, and of which model (null: any). Read from Slurm's
/// <c>gres</c> string (<c>gpu</c>, <c>gpu:2</c>, <c>gpu:a100:1</c>, <c>gpu:a100</c> = one a100)
/// and from <c>gpus</c> (<c>2</c> or Slurm's <c>--gpus=a100:2</c>). Only the <c>gpu</c> kind is
/// known: any other generic resource is refused rather than ignored, so a job never runs without
/// something it asked for.
/// </summary>
public sealed partial record GresRequest(int Count, string? Model)
{
    /// <summary>At most this many devices per job (no node has more).</summary>
    public const int MaxCount = 64;

    public const int MaxModelLength = 64;

    public static readonly GresRequest None = new(0, null);

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9_.\-]*\z")]
    private static partial Regex ModelName();

    /// <summary>A model name as nodes and requests spell it: letters, digits, '_', '.', '-'.</summary>
    public static bool IsModelName(string text) => text.Length <= MaxModelLength && ModelName().IsMatch(text);

    /// <summary>Slurm's gres string: <c>gpu[:MODEL][:COUNT]</c>, one entry.</summary>
    public static bool TryParseGres(string? text, out GresRequest request, out string error)
    {
        request = None;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must not be blank; use gpu, gpu:COUNT or gpu:MODEL:COUNT (e.g. gpu:a100:1)";
            return false;
        }
        var entries = text.Trim().Split(',');
        if (entries.Length > 1)
        {
            error = "names more than one resource; only one gpu entry is supported (gpu:COUNT or gpu:MODEL:COUNT)";
            return false;
        }
        var parts = entries[0].Split(':');
        if (!string.Equals(parts[0], "gpu", StringComparison.OrdinalIgnoreCase))
        {
            error = $"asks for '{Shown(parts[0])}', but only the 'gpu' resource is known (gpu:COUNT or gpu:MODEL:COUNT)";
            return false;
        }
        return parts.Length switch
        {
            1 => Done(new GresRequest(1, null), out request),
            2 when IsCount(parts[1]) || parts[1].StartsWith('-') => TryCount(parts[1], null, out request, out error),
            2 => TryCount("1", parts[1], out request, out error),
            3 => TryCount(parts[2], parts[1], out request, out error),
            _ => Fail("has too many ':' parts; use gpu:COUNT or gpu:MODEL:COUNT", out error),
        };
    }

    /// <summary>The <c>gpus</c> field as a string: <c>COUNT</c> or <c>MODEL:COUNT</c> (sbatch --gpus).</summary>
    public static bool TryParseGpus(string text, out GresRequest request, out string error)
    {
        request = None;
        error = "";
        var parts = text.Trim().Split(':');
        return parts.Length switch
        {
            1 => TryCount(parts[0], null, out request, out error, zero: true),
            2 => TryCount(parts[1], parts[0], out request, out error),
            _ => Fail("must be a count (2) or MODEL:COUNT (a100:2)", out error),
        };
    }

    /// <summary>The request as a gres string (<c>gpu:a100:1</c>), or null for none.</summary>
    public string? ToGres() => Count == 0 ? null : Model is null
        ? string.Create(CultureInfo.InvariantCulture, $"gpu:{Count}")
        : string.Create(CultureInfo.InvariantCulture, $"gpu:{Model}:{Count}");

    /// <summary>
    /// Whether a device of <paramref name="model"/> meets this request's model: the same name, or
    /// the name followed by '-' and a variant (<c>a100</c> takes <c>a100-sxm4-40gb</c>, not
    /// <c>a1000</c>); names compare without case.
    /// </summary>
    public bool Accepts(string? model) => Model is null || (model is not null
        && (string.Equals(Model, model, StringComparison.OrdinalIgnoreCase) || model.StartsWith(Model + "-", StringComparison.OrdinalIgnoreCase)));

    private static bool IsCount(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    private static bool TryCount(string count, string? model, out GresRequest request, out string error, bool zero = false)
    {
        request = None;
        error = "";
        if (model is not null && !IsModelName(model))
            return Fail($"names the model '{Shown(model)}'; a model is 1 to {MaxModelLength} letters, digits, '_', '.' or '-'", out error);
        if (!IsCount(count) || count.Length > 4 || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return Fail($"has the count '{Shown(count)}'; a count is a whole number from 1 to {MaxCount}", out error);
        if (n > MaxCount || n < (zero && model is null ? 0 : 1))
            return Fail($"asks for {n} devices; a job may ask for {(zero ? 0 : 1)} to {MaxCount}", out error);
        return Done(new GresRequest(n, n == 0 ? null : model), out request);
    }

    private static bool Done(GresRequest value, out GresRequest request)
    {
        request = value;
        return true;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static string Shown(string text) => text.Length <= 32 ? text : text[..32] + "...";
}
