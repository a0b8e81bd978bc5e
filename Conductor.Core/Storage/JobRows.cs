using System.Reflection;
using Conductor.Core.Jobs;
using Conductor.Core.Storage.CompiledModel;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Conductor.Core.Storage;

/// <summary>
/// Reads whole <see cref="Job"/> rows (<c>RETURNING j.*</c>) from hand-written statements, with
/// the EF model's own column names and value converters, so the row a claim moves comes back in
/// the same round trip instead of a second query. Columns the model does not know are ignored.
/// </summary>
internal static class JobRows
{
    private sealed record Column(string Name, PropertyInfo Property, Func<object, object?> FromProvider);

    private static readonly Column[] Columns = ConductorDbContextModel.Instance.FindEntityType(typeof(Job))!
        .GetProperties()
        .Where(p => p.PropertyInfo is not null)
        .Select(p => new Column(p.GetColumnName(), p.PropertyInfo!,
            p.GetTypeMapping().Converter is { } converter ? converter.ConvertFromProvider! : v => v))
        .ToArray();

    /// <summary>For each model column, its ordinal in the reader's result (-1 when absent).</summary>
    public static int[] Ordinals(NpgsqlDataReader r)
    {
        var byName = Enumerable.Range(0, r.FieldCount).ToDictionary(r.GetName, i => i);
        return Columns.Select(c => byName.GetValueOrDefault(c.Name, -1)).ToArray();
    }

    public static Job Read(NpgsqlDataReader r, int[] ordinals)
    {
        var job = new Job();
        for (var i = 0; i < Columns.Length; i++)
        {
            var ordinal = ordinals[i];
            if (ordinal < 0 || r.IsDBNull(ordinal)) continue;
            Columns[i].Property.SetValue(job, Columns[i].FromProvider(r.GetValue(ordinal)));
        }
        return job;
    }
}
