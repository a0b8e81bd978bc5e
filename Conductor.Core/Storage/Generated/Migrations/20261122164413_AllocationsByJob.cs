using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class AllocationsByJob : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_allocations_job",
                table: "allocations",
                columns: new[] { "job_id", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_allocations_job",
                table: "allocations");
        }
    }
}
