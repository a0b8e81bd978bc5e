using Conductor.Core.Jobs;
using Conductor.Core.Nodes;

namespace Conductor.Core.Scheduling;

/// <summary>
/// The node's GPUs during one plan: which are free, which a request may take (its model), lowest
/// ids first, as cores are taken. A node without devices makes every GPU request never fit.
/// </summary>
internal sealed class DevicePlan(IReadOnlyList<NodeDevice> devices, IReadOnlyCollection<int> busy)
{
    private readonly List<NodeDevice> _free = devices.Where(d => !busy.Contains(d.Id)).OrderBy(d => d.Id).ToList();

    /// <summary>No device of the node is held (an exclusive job needs them all).</summary>
    public bool AllIdle => _free.Count == devices.Count;

    public bool CanEverMeet(GresRequest request) => request.Count <= devices.Count(d => request.Accepts(d.Model));

    public int FreeMatching(GresRequest request) => _free.Count(d => request.Accepts(d.Model));

    /// <summary>The device ids the request would get now; null when not enough are free.</summary>
    public int[]? Pick(GresRequest request)
    {
        if (request.Count == 0) return [];
        var picked = _free.Where(d => request.Accepts(d.Model)).Take(request.Count).Select(d => d.Id).ToArray();
        return picked.Length == request.Count ? picked : null;
    }

    /// <summary>Every free device (an exclusive job holds the whole node).</summary>
    public int[] AllFree() => _free.Select(d => d.Id).ToArray();

    public void Take(IReadOnlyCollection<int> ids) => _free.RemoveAll(d => ids.Contains(d.Id));

    public string? ModelOf(int id) => devices.FirstOrDefault(d => d.Id == id)?.Model;
}
