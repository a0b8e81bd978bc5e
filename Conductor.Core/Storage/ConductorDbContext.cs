using Conductor.Core.Accounts;
using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Conductor.Core.Storage;

/// <summary>
/// The EF Core model. Table and column names are snake_case; enums are stored as strings.
/// Hot-path writes (claims, transitions) go through <see cref="JobStore"/> as single SQL
/// statements so that the compare-and-set and its event row are one atomic step.
/// </summary>
public sealed class ConductorDbContext(DbContextOptions<ConductorDbContext> options) : DbContext(options)
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<Allocation> Allocations => Set<Allocation>();
    public DbSet<Node> Nodes => Set<Node>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Job>(job =>
        {
            job.ToTable("jobs");
            job.Property(j => j.State).HasConversion(StateConverter).HasMaxLength(16);
            job.Property(j => j.Reason).HasMaxLength(64);
            job.Property(j => j.Name).HasMaxLength(256);
            job.Property(j => j.Account).HasMaxLength(128);
            job.Property(j => j.Partition).HasMaxLength(64);
            job.Property(j => j.Environment).HasColumnType("jsonb").HasConversion(JsonColumn.DictionaryConverter, JsonColumn.DictionaryComparer);
            job.Property(j => j.IdempotencyKey).HasMaxLength(200);
            job.HasIndex(j => j.IdempotencyKey).IsUnique().HasFilter("idempotency_key IS NOT NULL");
            // The claim query: PENDING jobs of a partition by priority, then submit order.
            job.HasIndex(j => new { j.Partition, j.Priority, j.Id })
                .HasFilter("state = 'PENDING'")
                .HasDatabaseName("ix_jobs_pending_queue")
                .IsDescending(false, true, false);
            job.HasIndex(j => new { j.Node, j.State }).HasFilter("state = 'RUNNING'").HasDatabaseName("ix_jobs_running_node");
            job.HasIndex(j => new { j.State, j.Id }).HasDatabaseName("ix_jobs_state_id");
            job.HasIndex(j => new { j.Account, j.Id }).HasDatabaseName("ix_jobs_account_id");
        });

        model.Entity<JobEvent>(ev =>
        {
            ev.ToTable("job_events");
            ev.Property(e => e.FromState).HasConversion(NullableStateConverter).HasMaxLength(16);
            ev.Property(e => e.ToState).HasConversion(StateConverter).HasMaxLength(16);
            ev.Property(e => e.Reason).HasMaxLength(64);
            ev.HasIndex(e => new { e.JobId, e.Id });
        });

        model.Entity<Allocation>(alloc =>
        {
            alloc.ToTable("allocations");
            alloc.HasIndex(a => a.JobId).IsUnique().HasFilter("released_at IS NULL")
                .HasDatabaseName("ux_allocations_active_job");
            alloc.HasIndex(a => a.Node).HasFilter("released_at IS NULL").HasDatabaseName("ix_allocations_active_node");
        });

        model.Entity<Node>(node =>
        {
            node.ToTable("nodes");
            node.HasKey(n => n.Name);
            node.Property(n => n.Name).HasMaxLength(128);
            node.Property(n => n.Partition).HasMaxLength(64);
            node.Property(n => n.State).HasConversion<string>().HasMaxLength(16);
        });

        model.Entity<ApiToken>(token =>
        {
            token.ToTable("api_tokens");
            token.Property(t => t.Account).HasMaxLength(128);
            token.Property(t => t.Hash).HasMaxLength(64);
            token.HasIndex(t => t.Hash).IsUnique();
        });
    }

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<JobState, string> StateConverter =
        new(s => s.ToWire(), s => ParseState(s));

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<JobState?, string?> NullableStateConverter =
        new(s => s == null ? null : s.Value.ToWire(), s => s == null ? null : ParseState(s));

    private static JobState ParseState(string text) =>
        JobStateNames.TryParse(text, out var state) ? state : throw new InvalidDataException($"Unknown job state '{text}'.");
}
