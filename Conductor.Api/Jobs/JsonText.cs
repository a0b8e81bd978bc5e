using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace Conductor.Api.Jobs;

/// <summary>
/// Every string and property name of a parsed body must be text: valid UTF-8, no lone surrogate
/// (<c>"\ud800"</c>), no NUL. System.Text.Json accepts both kinds of broken text when it parses
/// and throws only when a string is read, which used to surface as a 500 from whichever field
/// read it (or from PostgreSQL, for a schedule's stored template). Checked once, up front, with
/// the offending field named. A body that is valid UTF-8 with no <c>\u</c> escape cannot hold
/// such text, so the common submit costs one vectorized scan.
/// </summary>
internal static class JsonText
{
    public static bool Check(ReadOnlySpan<byte> raw, JsonElement root, FieldErrors errors)
    {
        if (Utf8.IsValid(raw) && raw.IndexOf("\\u"u8) < 0) return true;
        if (FirstBad(root, "") is not { } bad) return true;
        errors.Add(bad.Field, bad.Field == "body"
            ? "The request body holds text that is not valid Unicode (invalid UTF-8, a lone surrogate or NUL)."
            : $"'{bad.Field}' must be valid Unicode text without NUL characters (invalid UTF-8 or a lone surrogate found).");
        return false;
    }

    private static (string Field, bool Name)? FirstBad(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsText(element) ? null : (Named(path), false);
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryName(property, out var name)) return (Named(path), true);
                    if (FirstBad(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstBad(item, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]") is { } bad) return bad;
                    i++;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>A bad property name is reported on the object that holds it (its own name is not printable).</summary>
    private static string Named(string path) => path.Length == 0 ? "body" : path;

    private static bool IsText(JsonElement element)
    {
        try
        {
            return !element.GetString()!.Contains('\0');
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return !name.Contains('\0');
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }
}
