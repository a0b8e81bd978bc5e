using System.Reflection;
using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Conductor.Core.Storage;

/// <summary>
/// Reads whole <see cref="Job"/> rows (<c>RETURNING j.*</c>) from hand-written statements, with
/// the EF model's own column names and value converters, so the row a claim moves comes back in
/// the same round trip instead of a second query. Columns the model does not know are ignored.
/// Built from the model a context uses (a compiled model is initialized by its first context).
/// </summary>
internal sealed class JobRows(IModel model)
{
    private sealed record Column(string Name, PropertyInfo Property, Func<object, object?> FromProvider);

    private readonly Column[] _columns = model.FindEntityType(typeof(Job))!
        .GetProperties()
        .Where(p => p.PropertyInfo is not null)
        .Select(p => new Column(p.GetColumnName(), p.PropertyInfo!,
            p.GetTypeMapping().Converter is { } converter ? converter.ConvertFromProvider! : v => v))
        .ToArray();

    /// <summary>For each model column, its ordinal in the reader's result (-1 when absent).</summary>
    public int[] Ordinals(NpgsqlDataReader r)
    {
        var byName = Enumerable.Range(0, r.FieldCount).ToDictionary(r.GetName, i => i);
        return _columns.Select(c => byName.GetValueOrDefault(c.Name, -1)).ToArray();
    }

    public Job Read(NpgsqlDataReader r, int[] ordinals)
    {
        var job = new Job();
        for (var i = 0; i < _columns.Length; i++)
        {
            var ordinal = ordinals[i];
            if (ordinal < 0 || r.IsDBNull(ordinal)) continue;
            _columns[i].Property.SetValue(job, _columns[i].FromProvider(r.GetValue(ordinal)));
        }
        return job;
    }
}
