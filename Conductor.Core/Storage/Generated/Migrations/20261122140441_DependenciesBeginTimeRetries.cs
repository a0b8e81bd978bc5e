using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class DependenciesBeginTimeRetries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "begin_time",
                table: "jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "dependency",
                table: "jobs",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "max_retries",
                table: "jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "retry_backoff",
                table: "jobs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "fixed");

            migrationBuilder.AddColumn<int>(
                name: "retry_delay_seconds",
                table: "jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

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

            migrationBuilder.CreateIndex(
                name: "ix_job_dependencies_depends_on",
                table: "job_dependencies",
                column: "depends_on");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_dependencies");

            migrationBuilder.DropColumn(
                name: "begin_time",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "dependency",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "max_retries",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "retry_backoff",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "retry_delay_seconds",
                table: "jobs");
        }
    }
}
