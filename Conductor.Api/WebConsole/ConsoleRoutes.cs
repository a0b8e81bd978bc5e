using Conductor.Api.Auth;

namespace Conductor.Api.WebConsole;

/// <summary>
/// The web console at <c>/ui</c> and the read-only endpoints it needs beyond the SCNS surface:
/// who the token is, the overview's history and the nodes' cores. The files are open; the data
/// endpoints need a token like every other.
/// </summary>
internal static class ConsoleRoutes
{
    public static WebApplication MapConductorConsole(this WebApplication app)
    {
        app.MapGet("/ui", ConsoleEndpoint.Root).ExcludeFromDescription();
        app.MapGet("/ui/{**path}", ConsoleEndpoint.Handle).ExcludeFromDescription();

        app.MapGet("/auth/whoami", WhoAmIEndpoint.Handle).WithTags("Service")
            .WithSummary("The calling token's account and whether it is an admin")
            .WithDescription("{\"account\": \"alice\", \"admin\": false}. Without tokens on loopback: the admin account \"default\". 401 without a valid token.")
            .Produces<WhoAmIEndpoint.Response>();
        app.MapGet("/jobs/{id}/script", ScriptEndpoint.Handle).WithTags("Jobs")
            .WithSummary("A job's batch script as submitted")
            .WithDescription("{\"job_id\": \"1001\", \"script\": \"#!/bin/bash...\"}. Another account's job (or an unknown id) is a 404.");
        app.MapGet("/stats/history", HistoryEndpoint.Handle).WithTags("Cluster")
            .WithSummary("Throughput, queue depth and mean wait over the last hours, in 60 buckets")
            .WithDescription($"hours: 1 to {HistoryEndpoint.MaxHours} (default 6). Per bucket (its end time 'at'): jobs submitted, started, " +
                             "ended COMPLETED, FAILED, CANCELLED, the queue depth at its end and the mean wait of the jobs that started in it. " +
                             "Cluster-wide counts, like /stats; computed from the job rows at request time.");
        app.MapGet("/nodes/cores", NodeCoresEndpoint.Handle).WithTags("Cluster")
            .WithSummary("Every node core by core: which job holds which core, memory held, heartbeat age, state")
            .WithDescription("A core held by another account's job shows held: true without job_id or job_name (an admin sees every job).");
        return app;
    }
}
