using Conductor.Core.Storage;
using Conductor.Core.Storage.Generated.CompiledModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Conductor.Tests.Unit;

/// <summary>
/// The checked-in compiled model (Storage/Generated/CompiledModel, used at run time to skip model building)
/// must describe the same schema as OnModelCreating; otherwise it is stale and must be regenerated.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CompiledModelTests
{
    [Fact]
    public void CompiledModel_DescribesTheSameSchemaAsOnModelCreating()
    {
        var options = new DbContextOptionsBuilder<ConductorDbContext>();
        StorageSetup.Configure(options, "Host=127.0.0.1;Database=unused");
        using var ctx = new ConductorDbContext(options.Options);
        var built = ctx.GetService<IDesignTimeModel>().Model; // always built from OnModelCreating
        IModel compiled = ConductorDbContextModel.Instance;

        Describe(compiled.GetRelationalModel()).Should().Equal(Describe(built.GetRelationalModel()),
            "the compiled model is stale: run 'dotnet ef dbcontext optimize -o Storage/Generated/CompiledModel -n Conductor.Core.Storage.Generated.CompiledModel' in Conductor.Core");
    }

    /// <summary>Tables, columns, keys and indexes, one line each (what the compiled model must agree on).</summary>
    private static List<string> Describe(IRelationalModel model) => model.Tables.SelectMany(t =>
            t.Columns.Select(c => $"{t.Name}.{c.Name} {c.StoreType} null={c.IsNullable} converter={c.PropertyMappings.First().Property.GetValueConverter()?.ProviderClrType.Name}")
                .Concat(t.UniqueConstraints.Select(k => $"{t.Name} key {k.Name} ({string.Join(',', k.Columns.Select(c => c.Name))})"))
                .Concat(t.Indexes.Select(i => $"{t.Name} index {i.Name} ({string.Join(',', i.Columns.Select(c => c.Name))}) unique={i.IsUnique} " +
                                              $"filter={i.Filter}")))
        .Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void RuntimeContexts_UseTheCompiledModel()
    {
        var options = new DbContextOptionsBuilder<ConductorDbContext>();
        StorageSetup.Configure(options, "Host=127.0.0.1;Database=unused");
        using var ctx = new ConductorDbContext(options.Options);

        ctx.Model.Should().BeSameAs(ConductorDbContextModel.Instance, "a context must not build its model at start");
    }
}
