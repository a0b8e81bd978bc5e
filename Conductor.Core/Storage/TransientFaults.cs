using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Conductor.Core.Storage;

/// <summary>Tells a store that is unreachable for now (restart, network blip: retry) from a real SQL error (do not).</summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception e) => e switch
    {
        // Server shutdown/restart (57P0x) and connection failures (08xxx) pass; a real SQL error does not.
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException n => n.IsTransient || n.InnerException is System.Net.Sockets.SocketException or IOException,
        TimeoutException or System.Net.Sockets.SocketException => true,
        DbUpdateException { InnerException: { } inner } => IsTransient(inner),
        InvalidOperationException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}
