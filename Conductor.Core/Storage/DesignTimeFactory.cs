using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Conductor.Core.Storage;

/// <summary>
/// Lets the design-time tools (<c>dotnet ef migrations add</c>, <c>dotnet ef dbcontext optimize</c>) build
/// the model without a running host; they connect only for <c>database update</c>. See docs/generated-code.md.
/// </summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ConductorDbContext>
{
    public ConductorDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<ConductorDbContext>();
        StorageSetup.Configure(options, "Host=127.0.0.1;Port=25432;Username=conductor;Database=conductor");
        return new ConductorDbContext(options.Options);
    }
}
