using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Conductor.Tests.Infrastructure;

/// <summary>The real API (its Program, migrations and all) in-process, against a test database.</summary>
public sealed class ApiHost(string connectionString, IDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.UseSetting("ConnectionStrings:Redis", TestEnvironment.Redis);
        builder.UseSetting("LOG_LEVEL", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            builder.UseSetting(key, value);
    }
}
