using Npgsql;

namespace Conductor.Tests.Infrastructure;

/// <summary>The resource invariants of FAULT_TOLERANCE.md, checked straight against the database in one snapshot.</summary>
public static class Invariants
{
    private const string Violations = """
        SELECT 'core ' || c || ' held twice on ' || node FROM allocations, unnest(cpu_ids) c
          WHERE released_at IS NULL GROUP BY node, c HAVING count(*) > 1
        UNION ALL
        SELECT 'GPU ' || g || ' held twice on ' || node FROM allocations, unnest(gpu_ids) g
          WHERE released_at IS NULL GROUP BY node, g HAVING count(*) > 1
        UNION ALL
        SELECT 'active allocation of ' || j.state || ' job ' || j.id FROM allocations a JOIN jobs j ON j.id = a.job_id
          WHERE a.released_at IS NULL AND j.state <> 'RUNNING'
        UNION ALL
        SELECT 'RUNNING job ' || j.id || ' holds ' || count(a.id) || ' active allocations' FROM jobs j
          LEFT JOIN allocations a ON a.job_id = j.id AND a.released_at IS NULL
          WHERE j.state = 'RUNNING' GROUP BY j.id HAVING count(a.id) <> 1
        UNION ALL
        SELECT 'node ' || n.name || ' uses ' || sum(a.cpus) || ' of ' || n.cpus || ' cores' FROM nodes n
          JOIN allocations a ON a.node = n.name AND a.released_at IS NULL
          GROUP BY n.name, n.cpus HAVING sum(a.cpus) > n.cpus
        """;

    public static async Task AssertHoldAsync(TestDatabase database)
    {
        await using var conn = new NpgsqlConnection(database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(Violations, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var found = new List<string>();
        while (await reader.ReadAsync()) found.Add(reader.GetString(0));
        found.Should().BeEmpty("no core or GPU is held twice, no finished job holds cores, and no node is over-committed");
    }
}
