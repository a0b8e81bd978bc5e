using Conductor.Api.Messaging;
using Conductor.Core.Nodes;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Conductor.Api.Health;

/// <summary>
/// <c>GET /health</c>: 200 while the database answers (Redis down only adds latency, so it
/// degrades but does not fail the check); 503 when the database does not.
/// </summary>
internal static class HealthEndpoint
{
    public sealed record NodeHealth(int Total, int Up, int Down);

    public sealed record Response(string Status, string Database, string Redis, NodeHealth Nodes);

    public static async Task<Results<Ok<Response>, JsonHttpResult<Response>>> Handle(
        NpgsqlDataSource db, RedisConnection redis, NodeStore nodes, CancellationToken ct)
    {
        var database = "up";
        var nodeHealth = new NodeHealth(0, 0, 0);
        try
        {
            await using var cmd = db.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(ct);
            var all = await nodes.ListAsync(ct);
            var up = all.Count(n => n.State == NodeState.Up);
            nodeHealth = new NodeHealth(all.Count, up, all.Count - up);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            database = "down";
        }
        var redisState = redis.IsConnected ? "up" : "down";
        var status = database == "down" ? "unhealthy" : redisState == "down" ? "degraded" : "healthy";
        var body = new Response(status, database, redisState, nodeHealth);
        return database == "up" ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
