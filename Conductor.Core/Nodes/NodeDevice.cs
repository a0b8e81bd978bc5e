namespace Conductor.Core.Nodes;

/// <summary>
/// A countable device a node offers (a GPU), as its worker detected or was configured with:
/// <see cref="Id"/> is what the job's CUDA_VISIBLE_DEVICES (or ROCR_VISIBLE_DEVICES) names and what
/// an allocation's <c>gpu_ids</c> holds; <see cref="Path"/> is its device node (<c>/dev/nvidia0</c>),
/// whose access the job's cgroup allows or denies; null when the device has none on this host
/// (configured for testing), and then nothing can be denied.
/// </summary>
public sealed record NodeDevice(int Id, string Model, string Vendor = NodeDevice.Nvidia, string? Path = null, string? Uuid = null)
{
    public const string Nvidia = "nvidia";
    public const string Amd = "amd";

    /// <summary>Only GPUs are scheduled so far; the kind is stored so other devices can join.</summary>
    public string Kind { get; init; } = "gpu";
}
