using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Conductor.Core.Storage;

/// <summary>
/// All reads and writes of jobs. Split into partials by concern: submission, state
/// transitions (compare-and-set + event row in one statement), claims, and queries.
/// </summary>
public sealed partial class JobStore(IDbContextFactory<ConductorDbContext> contexts, NpgsqlDataSource db, TimeProvider clock)
{
    private DateTime UtcNow => clock.GetUtcNow().UtcDateTime;

    private async Task<ConductorDbContext> ContextAsync(CancellationToken ct) => await contexts.CreateDbContextAsync(ct);

    private JobRows? _jobRows;

    /// <summary>Reads whole job rows from hand-written statements, with the model a context sees.</summary>
    private JobRows JobRows
    {
        get
        {
            if (_jobRows is { } rows) return rows;
            using var ctx = contexts.CreateDbContext();
            return _jobRows = new JobRows(ctx.Model);
        }
    }
}
