using System.Linq.Expressions;
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
    private sealed record Column(string Name, Action<Job, object?> Set, Func<object, object?> FromProvider);

    private readonly Column[] _columns = model.FindEntityType(typeof(Job))!
        .GetProperties()
        .Where(p => p.PropertyInfo is not null)
        .Select(p => new Column(p.GetColumnName(), Setter(p.PropertyInfo!),
            p.GetTypeMapping().Converter is { } converter ? converter.ConvertFromProvider! : v => v))
        .ToArray();

    /// <summary>A compiled setter: a claim reads some 50 columns per job, and reflection's SetValue cost more than the read.</summary>
    private static Action<Job, object?> Setter(System.Reflection.PropertyInfo property)
    {
        var job = Expression.Parameter(typeof(Job));
        var value = Expression.Parameter(typeof(object));
        return Expression.Lambda<Action<Job, object?>>(
            Expression.Assign(Expression.Property(job, property), Expression.Convert(value, property.PropertyType)), job, value).Compile();
    }

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
            _columns[i].Set(job, _columns[i].FromProvider(r.GetValue(ordinal)));
        }
        return job;
    }
}
