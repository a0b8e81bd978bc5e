using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Generated.Migrations
{
    /// <inheritdoc />
    public partial class JobDataSource : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "data_source",
                table: "jobs",
                type: "character varying(8)",
                maxLength: 8,
                nullable: false,
                defaultValue: "API");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "data_source",
                table: "jobs");
        }
    }
}
