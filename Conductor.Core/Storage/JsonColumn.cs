using System.Text.Json;
using Conductor.Core.Nodes;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Conductor.Core.Storage;

/// <summary>Stores a string dictionary, or a node's device list, as a jsonb document.</summary>
internal static class JsonColumn
{
    public static readonly ValueConverter<Dictionary<string, string>, string> DictionaryConverter = new(
        d => JsonSerializer.Serialize(d, (JsonSerializerOptions?)null),
        s => JsonSerializer.Deserialize<Dictionary<string, string>>(s, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>());

    public static readonly ValueComparer<Dictionary<string, string>> DictionaryComparer = new(
        (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
        d => d.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
        d => new Dictionary<string, string>(d));

    /// <summary>A node's devices (<see cref="DeviceJson"/>).</summary>
    public static readonly ValueConverter<List<NodeDevice>, string> DevicesConverter = new(
        d => DeviceJson.Write(d),
        s => DeviceJson.Read(s));

    public static readonly ValueComparer<List<NodeDevice>> DevicesComparer = new(
        (a, b) => a!.SequenceEqual(b!),
        d => d.Aggregate(0, (h, x) => HashCode.Combine(h, x)),
        d => d.ToList());
}
