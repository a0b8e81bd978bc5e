using Microsoft.Extensions.Hosting;
using Conductor.Core.Storage;
using Conductor.Hosting;
using Serilog;
using Conductor.Worker.Dispatch;
using Conductor.Worker.Messaging;
using Conductor.Worker.Node;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Cgroups;
using Conductor.Worker.Recovery;
using Conductor.Worker.Supervision;

namespace Conductor.Worker;

public static class WorkerSetup
{
    public static HostApplicationBuilder AddConductorWorker(this HostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.Services.AddSerilog((_, logger) => ConductorLogging.Configure(logger, config, "worker"));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var services = builder.Services;
        services.Configure<WorkerOptions>(config.GetSection("Conductor:Worker"));
        services.AddSingleton(TimeProvider.System);
        services.AddConductorStorage(config.GetConnectionString("Postgres"));
        services.AddSingleton<IProcessProbe, ProcProcessProbe>();
        services.AddSingleton<SpawnerLauncher>();
        services.AddSingleton<IProcessLauncher>(sp => sp.GetRequiredService<SpawnerLauncher>());
        services.AddSingleton<NodeDevices>();
        services.AddSingleton<JobCgroups>();
        services.AddSingleton<RunAsPolicy>();
        services.AddSingleton<StoreRetry>();
        services.AddSingleton<NodeAgent>();
        services.AddSingleton<WakeUps>();
        services.AddSingleton<RunningJobs>();
        services.AddSingleton<NodeClaims>();
        services.AddSingleton<IJobFinisher, FinishWriter>();
        services.AddSingleton<JobSupervisor>();
        services.AddSingleton<StartupRecovery>();
        services.AddSingleton(sp => new RedisListener(
            config.GetConnectionString("Redis") ?? "127.0.0.1:6379", sp.GetRequiredService<WakeUps>(), sp.GetRequiredService<ILogger<RedisListener>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RedisListener>());
        services.AddHostedService<Dispatcher>();
        services.AddHostedService<PidLivenessReporter>();
        services.Configure<Output.OutputOptions>(config.GetSection("Conductor:Worker:Output"));
        services.AddHostedService<Output.OutputServer>();
        return builder;
    }
}
