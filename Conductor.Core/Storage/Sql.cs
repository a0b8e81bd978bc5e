using Npgsql;
using NpgsqlTypes;

namespace Conductor.Core.Storage;

/// <summary>Small helpers for the hand-written hot-path statements.</summary>
internal static class Sql
{
    public static NpgsqlCommand Command(this NpgsqlConnection conn, string text, params (string Name, NpgsqlDbType Type, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(text, conn);
        foreach (var (name, type, value) in args)
            cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return cmd;
    }

    public static NpgsqlBatchCommand Batched(string text, params (string Name, NpgsqlDbType Type, object? Value)[] args)
    {
        var cmd = new NpgsqlBatchCommand(text);
        foreach (var (name, type, value) in args)
            cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return cmd;
    }

    public static (string, NpgsqlDbType, object?) P(string name, NpgsqlDbType type, object? value) => (name, type, value);
}
