using Conductor.Core.Accounts;
using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Conductor.Core.Quotas;
using Conductor.Core.Schedules;
using Microsoft.EntityFrameworkCore;

namespace Conductor.Core.Storage;

/// <summary>
/// The EF Core model. Table and column names are snake_case; enums are stored as strings.
/// Hot-path writes (claims, transitions) go through <see cref="JobStore"/> as single SQL
/// statements so that the compare-and-set and its event row are one atomic step.
/// Contexts run on the compiled model in <c>Storage/Generated/CompiledModel</c> (found through its
/// assembly attribute), so a starting worker does not build the model. After changing this model,
/// in Conductor.Core add the migration and regenerate the compiled model (docs/generated-code.md):
/// <c>dotnet ef migrations add NAME -o Storage/Generated/Migrations -n Conductor.Core.Storage.Generated.Migrations</c>
/// <c>dotnet ef dbcontext optimize -o Storage/Generated/CompiledModel -n Conductor.Core.Storage.Generated.CompiledModel</c>;
/// CompiledModelTests fails while it is stale.
/// </summary>
public sealed class ConductorDbContext(DbContextOptions<ConductorDbContext> options) : DbContext(options)
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<JobDependency> JobDependencies => Set<JobDependency>();
    public DbSet<Schedule> Schedules => Set<Schedule>();
    public DbSet<Allocation> Allocations => Set<Allocation>();
    public DbSet<Node> Nodes => Set<Node>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AccountUser> AccountUsers => Set<AccountUser>();
    public DbSet<AccountQuota> AccountQuotas => Set<AccountQuota>();
    public DbSet<PartitionState> Partitions => Set<PartitionState>();

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
            job.Property(j => j.DataSource).HasMaxLength(8).HasDefaultValue(DataSources.Api);
            job.Property(j => j.Dependency).HasMaxLength(1024);
            job.Property(j => j.Hold).HasMaxLength(8);
            job.Property(j => j.GpuModel).HasMaxLength(GresRequest.MaxModelLength);
            // One job per fire time of a schedule, however many schedulers race.
            job.HasIndex(j => new { j.ScheduleId, j.ScheduleFireTime }).IsUnique().HasFilter("schedule_id IS NOT NULL")
                .HasDatabaseName("ux_jobs_schedule_fire");
            // Counting an array's RUNNING tasks for its %N limit.
            job.HasIndex(j => new { j.ArrayJobId, j.State }).HasFilter("array_job_id IS NOT NULL").HasDatabaseName("ix_jobs_array");
            job.Property(j => j.RetryBackoff).HasMaxLength(16).HasDefaultValue(RetryBackoffs.Fixed);
            job.HasIndex(j => j.IdempotencyKey).IsUnique().HasFilter("idempotency_key IS NOT NULL");
            // The claim query: PENDING jobs of a partition that are not held, by priority, then submit order.
            job.HasIndex(j => new { j.Partition, j.Priority, j.Id })
                .HasFilter("state = 'PENDING' AND hold IS NULL")
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
            ev.Property(e => e.Message).HasMaxLength(2048);
            ev.HasIndex(e => new { e.JobId, e.Id });
        });

        model.Entity<JobDependency>(dep =>
        {
            dep.ToTable("job_dependencies");
            dep.HasKey(d => new { d.JobId, d.DependsOn, d.Kind });
            dep.Property(d => d.Kind).HasMaxLength(16);
            // "Who waits on this job": the never-satisfied sweep and the claim's anti-join.
            dep.HasIndex(d => d.DependsOn);
        });

        model.Entity<Schedule>(schedule =>
        {
            schedule.ToTable("scheduled_jobs");
            schedule.Property(s => s.Name).HasMaxLength(256);
            schedule.Property(s => s.Cron).HasMaxLength(256);
            schedule.Property(s => s.TimeZone).HasMaxLength(64);
            schedule.Property(s => s.Overlap).HasMaxLength(16);
            schedule.Property(s => s.Misfire).HasMaxLength(16);
            schedule.Property(s => s.JobTemplate).HasColumnType("jsonb");
            schedule.Property(s => s.Account).HasMaxLength(128).HasDefaultValue("default");
            // The scheduler's "what is due" scan.
            schedule.HasIndex(s => s.NextFireTime).HasFilter("status = 1").HasDatabaseName("ix_scheduled_jobs_due");
        });

        model.Entity<Allocation>(alloc =>
        {
            alloc.ToTable("allocations");
            alloc.Property(a => a.GpuIds).HasDefaultValueSql("'{}'::integer[]");
            alloc.HasIndex(a => a.JobId).IsUnique().HasFilter("released_at IS NULL")
                .HasDatabaseName("ux_allocations_active_job");
            alloc.HasIndex(a => a.Node).HasFilter("released_at IS NULL").HasDatabaseName("ix_allocations_active_node");
            // A job's latest allocation (GET /jobs/query), also long after it was released.
            alloc.HasIndex(a => new { a.JobId, a.Id }).HasDatabaseName("ix_allocations_job");
        });

        model.Entity<Node>(node =>
        {
            node.ToTable("nodes");
            node.HasKey(n => n.Name);
            node.Property(n => n.Name).HasMaxLength(128);
            node.Property(n => n.Partition).HasMaxLength(64);
            node.Property(n => n.State).HasConversion<string>().HasMaxLength(16);
            node.Property(n => n.DrainReason).HasMaxLength(256);
            node.Property(n => n.Devices).HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb")
                .HasConversion(JsonColumn.DevicesConverter, JsonColumn.DevicesComparer);
        });

        model.Entity<AccountQuota>(quota =>
        {
            quota.ToTable("account_quotas");
            quota.HasKey(q => new { q.Account, q.Partition });
            quota.Property(q => q.Account).HasMaxLength(128);
            quota.Property(q => q.Partition).HasMaxLength(64);
        });

        model.Entity<PartitionState>(partition =>
        {
            partition.ToTable("partitions");
            partition.HasKey(p => p.Name);
            partition.Property(p => p.Name).HasMaxLength(64);
            partition.Property(p => p.Reason).HasMaxLength(256);
        });

        model.Entity<ApiToken>(token =>
        {
            token.ToTable("api_tokens");
            token.Property(t => t.Account).HasMaxLength(128);
            token.Property(t => t.Hash).HasMaxLength(64);
            token.HasIndex(t => t.Hash).IsUnique();
        });

        model.Entity<AccountUser>(user =>
        {
            user.ToTable("account_users");
            user.HasKey(u => u.Account);
            user.Property(u => u.Account).HasMaxLength(128);
            user.Property(u => u.UserName).HasMaxLength(32);
            user.HasIndex(u => u.Uid).IsUnique();
            user.HasIndex(u => u.UserName).IsUnique();
        });
    }

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<JobState, string> StateConverter =
        new(s => s.ToWire(), s => ParseState(s));

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<JobState?, string?> NullableStateConverter =
        new(s => s == null ? null : s.Value.ToWire(), s => s == null ? null : ParseState(s));

    internal static JobState ParseState(string text) =>
        JobStateNames.TryParse(text, out var state) ? state : throw new InvalidDataException($"Unknown job state '{text}'.");
}
