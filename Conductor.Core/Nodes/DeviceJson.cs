using System.Text.Json;

namespace Conductor.Core.Nodes;

/// <summary>
/// A node's devices as stored in its <c>devices</c> jsonb column:
/// <c>[{"id":0,"model":"a100","vendor":"nvidia","path":"/dev/nvidia0","uuid":null,"kind":"gpu"}]</c>
/// (snake_case, so the health checks' SQL reads the same names).
/// </summary>
public static class DeviceJson
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Write(List<NodeDevice> devices) => JsonSerializer.Serialize(devices, Options);

    public static List<NodeDevice> Read(string json) => JsonSerializer.Deserialize<List<NodeDevice>>(json, Options) ?? [];
}
