namespace Conductor.Api.Jobs;

/// <summary>Collects validation errors keyed by the JSON path of the offending field.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>The body was over its size limit: 413, not 400.</summary>
    public bool TooLarge { get; private set; }

    public void AddTooLarge(int maxBytes)
    {
        TooLarge = true;
        Add("body", $"The request body must be at most {maxBytes} bytes.");
    }

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public string FirstField => _errors.Keys.First();

    /// <summary>Every message, in the order found, as one text; a long list is cut after the tenth.</summary>
    public string Summary
    {
        get
        {
            var all = _errors.Values.SelectMany(m => m).ToList();
            var text = string.Join(" ", all.Take(10));
            return all.Count > 10 ? $"{text} (and {all.Count - 10} more problems, listed in 'errors')" : text;
        }
    }
}
