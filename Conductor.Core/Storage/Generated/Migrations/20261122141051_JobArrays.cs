using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class JobArrays : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "array_job_id",
                table: "jobs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "array_max_running",
                table: "jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "array_task_id",
                table: "jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_jobs_array",
                table: "jobs",
                columns: new[] { "array_job_id", "state" },
                filter: "array_job_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_jobs_array",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "array_job_id",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "array_max_running",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "array_task_id",
                table: "jobs");
        }
    }
}
