using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Conductor.Core.Storage;

/// <summary>Stores a string dictionary as a jsonb document.</summary>
internal static class JsonColumn
{
    public static readonly ValueConverter<Dictionary<string, string>, string> DictionaryConverter = new(
        d => JsonSerializer.Serialize(d, (JsonSerializerOptions?)null),
        s => JsonSerializer.Deserialize<Dictionary<string, string>>(s, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>());

    public static readonly ValueComparer<Dictionary<string, string>> DictionaryComparer = new(
        (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
        d => d.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
        d => new Dictionary<string, string>(d));
}
