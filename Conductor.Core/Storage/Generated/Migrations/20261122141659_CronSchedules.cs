using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Conductor.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class CronSchedules : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "schedule_fire_time",
                table: "jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "schedule_id",
                table: "jobs",
                type: "bigint",
                nullable: true);

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
                name: "scheduled_jobs");

            migrationBuilder.DropIndex(
                name: "ux_jobs_schedule_fire",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "schedule_fire_time",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "schedule_id",
                table: "jobs");
        }
    }
}
