using System.Globalization;
using System.Text.Json;

namespace Conductor.Api.Jobs;

/// <summary>
/// Typed reads of optional JSON fields that record a precise error (naming the field) instead
/// of throwing. Numbers are accepted as JSON numbers or numeric strings, as Slurm clients send both.
/// </summary>
internal sealed class JsonFields(JsonElement obj, string prefix, FieldErrors errors)
{
    private string Path(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public bool Has(string name) => obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? String(string name, int maxLength)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(Path(name), $"'{Path(name)}' must be a string.");
            return null;
        }
        var s = v.GetString()!;
        if (s.Length > maxLength) errors.Add(Path(name), $"'{Path(name)}' must be at most {maxLength} characters.");
        else if (s.Contains('\0')) errors.Add(Path(name), $"'{Path(name)}' must not contain NUL characters.");
        return s;
    }

    /// <summary>A string, or a number rendered as text (e.g. a time limit of 30 minutes).</summary>
    public string? StringOrNumber(string name, int maxLength)
    {
        if (obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number) return v.GetRawText();
        return String(name, maxLength);
    }

    public int? Int(string name, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        long value;
        var ok = v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetInt64(out value),
            JsonValueKind.String => long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            _ => (value = 0) == 1,
        };
        if (!ok)
        {
            errors.Add(Path(name), $"'{Path(name)}' must be an integer.");
            return null;
        }
        if (value < min || value > max)
        {
            errors.Add(Path(name), $"'{Path(name)}' must be between {min} and {max}.");
            return null;
        }
        return (int)value;
    }

    public bool? Bool(string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        if (v.ValueKind == JsonValueKind.String && bool.TryParse(v.GetString(), out var b)) return b;
        errors.Add(Path(name), $"'{Path(name)}' must be true or false.");
        return null;
    }
}
