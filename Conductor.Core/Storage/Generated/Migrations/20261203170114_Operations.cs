using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Generated.Migrations
{
    /// <inheritdoc />
    public partial class Operations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_jobs_pending_queue",
                table: "jobs");

            migrationBuilder.AddColumn<string>(
                name: "account",
                table: "scheduled_jobs",
                type: "character varying(128)",
                maxLength: 128,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.AddColumn<DateTime>(
                name: "drain_deadline",
                table: "nodes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "drain_reason",
                table: "nodes",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "drained_since",
                table: "nodes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "cpu_system_seconds",
                table: "jobs",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "cpu_user_seconds",
                table: "jobs",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "hold",
                table: "jobs",
                type: "character varying(8)",
                maxLength: 8,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "requeue",
                table: "jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "requeue_requested",
                table: "jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "message",
                table: "job_events",
                type: "character varying(2048)",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "account_quotas",
                columns: table => new
                {
                    account = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    partition = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    max_cpus = table.Column<int>(type: "integer", nullable: true),
                    max_running_jobs = table.Column<int>(type: "integer", nullable: true),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_quotas", x => new { x.account, x.partition });
                });

            migrationBuilder.CreateTable(
                name: "partitions",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    paused = table.Column<bool>(type: "boolean", nullable: false),
                    reason = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_partitions", x => x.name);
                });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_pending_queue",
                table: "jobs",
                columns: new[] { "partition", "priority", "id" },
                descending: new[] { false, true, false },
                filter: "state = 'PENDING' AND hold IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "account_quotas");

            migrationBuilder.DropTable(
                name: "partitions");

            migrationBuilder.DropIndex(
                name: "ix_jobs_pending_queue",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "account",
                table: "scheduled_jobs");

            migrationBuilder.DropColumn(
                name: "drain_deadline",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "drain_reason",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "drained_since",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "cpu_system_seconds",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "cpu_user_seconds",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "hold",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "requeue",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "requeue_requested",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "message",
                table: "job_events");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_pending_queue",
                table: "jobs",
                columns: new[] { "partition", "priority", "id" },
                descending: new[] { false, true, false },
                filter: "state = 'PENDING'");
        }
    }
}
