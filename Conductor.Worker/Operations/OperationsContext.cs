using Conductor.Core.Operations;
using Conductor.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Conductor.Worker.Operations;

/// <summary>
/// What a one-shot operations command needs: the services' own configuration (appsettings.json
/// next to the binary, then the same environment variables: <c>ConnectionStrings__Postgres</c>,
/// <c>ConnectionStrings__Redis</c>, <c>Conductor__Worker__*</c>) and the Core stores, without the
/// worker's hosted services. Nothing here claims work or registers a node.
/// </summary>
internal sealed class OperationsContext : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private OperationsContext(IConfiguration config)
    {
        Configuration = config;
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddLogging(); // nothing is logged: a command reports on its output
        services.AddConductorStorage(config.GetConnectionString("Postgres"));
        services.AddSingleton<InvariantChecks>();
        services.AddSingleton<SafeRepairs>();
        services.AddSingleton<JobCleanup>();
        _services = services.BuildServiceProvider();
    }

    public IConfiguration Configuration { get; }

    public string Redis => Configuration.GetConnectionString("Redis") ?? "127.0.0.1:6379";

    public WorkerOptions Worker => Configuration.GetSection("Conductor:Worker").Get<WorkerOptions>() ?? new WorkerOptions();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static OperationsContext Create() => new(new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .Build());

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
