using System.Text.Json;
using Conductor.Api.Auth;
using Conductor.Api.WebConsole;
using Conductor.Api.Docs;
using Conductor.Api.Health;
using Conductor.Api.Http;
using Conductor.Api.Jobs;
using Conductor.Api.Limits;
using Conductor.Api.Messaging;
using Conductor.Api.Stats;
using Conductor.Api.Schedules;
using Conductor.Core.Storage;
using Conductor.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Serilog;

namespace Conductor.Api;

public static class ApiSetup
{
    public const string DefaultUrl = "http://127.0.0.1:8000";

    public static WebApplicationBuilder AddConductorApi(this WebApplicationBuilder builder)
    {
        // WebApplicationFactory's TestServer leaves the URLs unset too, so tests count as loopback.
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrEmpty(urls))
            builder.WebHost.UseUrls(urls = DefaultUrl);
        builder.Host.UseSerilog((context, logger) => ConductorLogging.Configure(logger, context.Configuration, "api"));

        var services = builder.Services;
        services.Configure<ApiOptions>(builder.Configuration.GetSection("Conductor:Api"));
        services.PostConfigure<ApiOptions>(o =>
        {
            o.DataDir ??= builder.Configuration["Conductor:Worker:DataDir"] ?? "./data";
            o.AllowedRoots ??= [o.DataDir, "/tmp"];
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<StoreOutage>();
        services.AddConductorAuth(builder.Configuration, urls);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
        });
        services.AddSingleton(TimeProvider.System);
        services.AddConductorStorage(builder.Configuration.GetConnectionString("Postgres"));
        services.AddSingleton(new RedisConnection(builder.Configuration.GetConnectionString("Redis") ?? "127.0.0.1:6379"));
        // Four batches in flight: with the per-submit CPU down, concurrent submits wait mostly for
        // WAL flushes, and more statements in flight share each flush (bench scenario 2, 8 clients,
        // 2 cores: 1,896 submits/s with two, 2,117 with four).
        services.AddSingleton<SubmitBatcher>(sp =>
            new SubmitBatcher(sp.GetRequiredService<JobStore>(), sp.GetRequiredService<WakeUpPublisher>().Submitted, flushers: 4));
        services.AddSingleton<WakeUpPublisher>();
        services.AddSingleton<ClusterCapacity>();
        services.Configure<Output.NodeOutputOptions>(builder.Configuration.GetSection("Conductor:Api:NodeOutput"));
        services.AddSingleton<Output.JobOutput>();
        services.AddSingleton<SubmitRateLimiter>();
        services.AddSingleton<SubmitQuota>();
        services.AddHostedService<DeadNodeMonitor>();
        services.AddConductorStats();
        services.AddHostedService<ScheduleRunner>();
        services.AddConductorOpenApi();
        return builder;
    }

    public static WebApplication MapConductorApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestGuard>();
        app.UseMiddleware<AuthMiddleware>();

        app.MapConductorRoutes();
        app.MapConductorConsole();
        app.MapConductorDocs();
        return app;
    }

    /// <summary>
    /// Applies pending migrations, waiting for PostgreSQL to come up (it may start after us).
    /// </summary>
    public static async Task MigrateConductorAsync(this WebApplication app, CancellationToken ct = default)
    {
        var factory = app.Services.GetRequiredService<IDbContextFactory<ConductorDbContext>>();
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await factory.MigrateAsync(ct);
                app.Logger.LogInformation("Database schema is up to date");
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && attempt < 120)
            {
                app.Logger.LogWarning("Database not reachable yet ({Error}); retrying in {Delay}", e.Message, delay);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }
}
