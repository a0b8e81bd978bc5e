using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Conductor.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ContainmentAccountsUsage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "cpu_seconds",
                table: "jobs",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "peak_memory_bytes",
                table: "jobs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "run_uid",
                table: "jobs",
                type: "integer",
                nullable: true);

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "account_users");

            migrationBuilder.DropColumn(
                name: "cpu_seconds",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "peak_memory_bytes",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "run_uid",
                table: "jobs");
        }
    }
}
