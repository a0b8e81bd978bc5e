using Conductor.Core.Jobs;

namespace Conductor.Api.Jobs;

/// <summary>
/// A submit body's GPU request, Conductor's extras beside cpus and memory: <c>gpus</c> (a count,
/// <c>2</c> or <c>"2"</c>, or sbatch --gpus's <c>"a100:2"</c>) or Slurm's <c>gres</c>
/// (<c>"gpu:2"</c>, <c>"gpu:a100:1"</c>). One of them: both at once is an error naming <c>gpus</c>.
/// Whether any node of the partition can meet it is <see cref="ClusterCapacity"/>'s question.
/// </summary>
internal static class GpuFields
{
    public static GresRequest Parse(JsonFields f, string path, FieldErrors errors)
    {
        var gpus = f.StringOrNumber("gpus", 80);
        var gres = f.String("gres", 128);
        if (gpus is not null && gres is not null)
        {
            errors.Add($"{path}.gpus", $"Give either '{path}.gpus' or '{path}.gres', not both.");
            return GresRequest.None;
        }
        if (gpus is not null)
        {
            if (GresRequest.TryParseGpus(gpus, out var request, out var why)) return request;
            errors.Add($"{path}.gpus", $"'{path}.gpus' {why}.");
        }
        else if (gres is not null)
        {
            if (GresRequest.TryParseGres(gres, out var request, out var why)) return request;
            errors.Add($"{path}.gres", $"'{path}.gres' {why}.");
        }
        return GresRequest.None;
    }
}
