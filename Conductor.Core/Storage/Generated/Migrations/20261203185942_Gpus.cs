using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Generated.Migrations
{
    /// <inheritdoc />
    public partial class Gpus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "devices",
                table: "nodes",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'[]'::jsonb");

            migrationBuilder.AddColumn<string>(
                name: "gpu_model",
                table: "jobs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "gpus",
                table: "jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int[]>(
                name: "gpu_ids",
                table: "allocations",
                type: "integer[]",
                nullable: false,
                defaultValueSql: "'{}'::integer[]");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "devices",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "gpu_model",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "gpus",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "gpu_ids",
                table: "allocations");
        }
    }
}
