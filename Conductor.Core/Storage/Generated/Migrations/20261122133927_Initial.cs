using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Conductor.Core.Storage.Generated.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "account_users",
                columns: table => new
                {
                    account = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    uid = table.Column<int>(type: "integer", nullable: false),
                    user_name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_users", x => x.account);
                });

            migrationBuilder.CreateTable(
                name: "allocations",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    job_id = table.Column<long>(type: "bigint", nullable: false),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    node = table.Column<string>(type: "text", nullable: false),
                    cpus = table.Column<int>(type: "integer", nullable: false),
                    cpu_ids = table.Column<int[]>(type: "integer[]", nullable: false),
                    memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    released_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_allocations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "api_tokens",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    account = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    is_admin = table.Column<bool>(type: "boolean", nullable: false),
                    hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    revoked_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_tokens", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "job_dependencies",
                columns: table => new
                {
                    job_id = table.Column<long>(type: "bigint", nullable: false),
                    depends_on = table.Column<long>(type: "bigint", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_dependencies", x => new { x.job_id, x.depends_on, x.kind });
                });

            migrationBuilder.CreateTable(
                name: "job_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    job_id = table.Column<long>(type: "bigint", nullable: false),
                    from_state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    to_state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    node = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    account = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    partition = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ntasks_per_node = table.Column<int>(type: "integer", nullable: false),
                    cpus_per_task = table.Column<int>(type: "integer", nullable: false),
                    cpus = table.Column<int>(type: "integer", nullable: false),
                    memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    time_limit_seconds = table.Column<int>(type: "integer", nullable: true),
                    environment = table.Column<string>(type: "jsonb", nullable: false),
                    work_dir = table.Column<string>(type: "text", nullable: true),
                    standard_output = table.Column<string>(type: "text", nullable: true),
                    standard_error = table.Column<string>(type: "text", nullable: true),
                    exclusive = table.Column<bool>(type: "boolean", nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    script = table.Column<string>(type: "text", nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    error_msg = table.Column<string>(type: "text", nullable: true),
                    submit_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    eligible_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    start_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    end_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    cancel_requested = table.Column<bool>(type: "boolean", nullable: false),
                    node = table.Column<string>(type: "text", nullable: true),
                    pid = table.Column<int>(type: "integer", nullable: true),
                    process_start_ticks = table.Column<long>(type: "bigint", nullable: true),
                    boot_id = table.Column<string>(type: "text", nullable: true),
                    stdout_path = table.Column<string>(type: "text", nullable: true),
                    stderr_path = table.Column<string>(type: "text", nullable: true),
                    exit_code = table.Column<int>(type: "integer", nullable: true),
                    begin_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    dependency = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    max_retries = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    retry_backoff = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false, defaultValue: "fixed"),
                    retry_delay_seconds = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    array_job_id = table.Column<long>(type: "bigint", nullable: true),
                    array_max_running = table.Column<int>(type: "integer", nullable: true),
                    array_task_id = table.Column<int>(type: "integer", nullable: true),
                    schedule_fire_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    schedule_id = table.Column<long>(type: "bigint", nullable: true),
                    pid_alive = table.Column<bool>(type: "boolean", nullable: true),
                    pid_checked_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    cpu_seconds = table.Column<double>(type: "double precision", nullable: true),
                    peak_memory_bytes = table.Column<long>(type: "bigint", nullable: true),
                    run_uid = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_jobs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "nodes",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    partition = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    cpus = table.Column<int>(type: "integer", nullable: false),
                    core_ids = table.Column<int[]>(type: "integer[]", nullable: false),
                    memory_mb = table.Column<long>(type: "bigint", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    boot_id = table.Column<string>(type: "text", nullable: true),
                    registered_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_heartbeat = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_nodes", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "scheduled_jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    cron = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    time_zone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    overlap = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    misfire = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    job_template = table.Column<string>(type: "jsonb", nullable: false),
                    next_fire_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_fire_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scheduled_jobs", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_account_users_uid",
                table: "account_users",
                column: "uid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_account_users_user_name",
                table: "account_users",
                column: "user_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_allocations_active_node",
                table: "allocations",
                column: "node",
                filter: "released_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_allocations_job",
                table: "allocations",
                columns: new[] { "job_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_allocations_active_job",
                table: "allocations",
                column: "job_id",
                unique: true,
                filter: "released_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_api_tokens_hash",
                table: "api_tokens",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_job_dependencies_depends_on",
                table: "job_dependencies",
                column: "depends_on");

            migrationBuilder.CreateIndex(
                name: "ix_job_events_job_id_id",
                table: "job_events",
                columns: new[] { "job_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_account_id",
                table: "jobs",
                columns: new[] { "account", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_array",
                table: "jobs",
                columns: new[] { "array_job_id", "state" },
                filter: "array_job_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_idempotency_key",
                table: "jobs",
                column: "idempotency_key",
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_pending_queue",
                table: "jobs",
                columns: new[] { "partition", "priority", "id" },
                descending: new[] { false, true, false },
                filter: "state = 'PENDING'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_running_node",
                table: "jobs",
                columns: new[] { "node", "state" },
                filter: "state = 'RUNNING'");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_state_id",
                table: "jobs",
                columns: new[] { "state", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_jobs_schedule_fire",
                table: "jobs",
                columns: new[] { "schedule_id", "schedule_fire_time" },
                unique: true,
                filter: "schedule_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_scheduled_jobs_due",
                table: "scheduled_jobs",
                column: "next_fire_time",
                filter: "status = 1");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "account_users");

            migrationBuilder.DropTable(
                name: "allocations");

            migrationBuilder.DropTable(
                name: "api_tokens");

            migrationBuilder.DropTable(
                name: "job_dependencies");

            migrationBuilder.DropTable(
                name: "job_events");

            migrationBuilder.DropTable(
                name: "jobs");

            migrationBuilder.DropTable(
                name: "nodes");

            migrationBuilder.DropTable(
                name: "scheduled_jobs");
        }
    }
}
