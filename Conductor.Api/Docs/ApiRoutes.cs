using Conductor.Api.Auth;
using Conductor.Api.Health;
using Conductor.Api.Http;
using Conductor.Api.Jobs;
using Conductor.Api.Nodes;
using Conductor.Api.Schedules;
using Conductor.Api.Stats;

namespace Conductor.Api.Docs;

/// <summary>
/// Every endpoint, with what the OpenAPI document says about it. A test checks that each one
/// mapped here appears in <c>/openapi/v1.json</c> with a summary, so the contract cannot drift.
/// </summary>
internal static class ApiRoutes
{
    private const string Json = "application/json";
    private const string Problem = "application/problem+json";

    public static WebApplication MapConductorRoutes(this WebApplication app)
    {
        MapJobs(app.MapGroup("/jobs").WithTags("Jobs"));
        MapSchedules(app.MapGroup("/scheduled-jobs").WithTags("Schedules").AddEndpointFilter(Caller.AdminOnly));

        app.MapGet("/", ServiceInfoEndpoint.Handle).WithTags("Service")
            .WithSummary("Service information (SCNS-Conductor's GET /)")
            .WithDescription("service, version and status as SCNS-Conductor answers them, plus where this reference is. No token needed.")
            .Produces<ServiceInfoEndpoint.Response>();
        app.MapGet("/health", HealthEndpoint.Handle).WithTags("Service")
            .WithSummary("Health: database, Redis, nodes")
            .WithDescription("200 when PostgreSQL answers (Redis down only degrades), 503 otherwise; lists the nodes' liveness. No token needed.");
        app.MapGet("/nodes", NodesEndpoint.Handle).WithTags("Cluster")
            .WithSummary("Nodes: partition, cores, used cores, memory, heartbeat, state");
        app.MapGet("/stats", StatsEndpoint.Handle).WithTags("Cluster")
            .WithSummary("Counts by state, queue depth, cores per node, success rate, run times")
            .WithDescription("Computed from the database at the moment of the request. 'window' (default 1h: 30m, 24h, 7d) bounds the finished-job figures.");
        app.MapGet("/dashboard", DashboardEndpoint.Handle).WithTags("Cluster")
            .WithSummary("SCNS-Conductor's dashboard: job_stats, resource_stats, node_info, running_jobs, pending_jobs")
            .WithDescription("SCNS-Conductor's DashboardResponse key for key (utilization_rate in percent, job_id an integer), plus Conductor's " +
                             "summary, cluster, nodes and recent_jobs ('recent' of them, 1-200, default 20). Counts are cluster-wide; job rows " +
                             $"are the caller's own (every account's for an admin), at most {DashboardEndpoint.ListLimit} running and pending.");
        app.MapGet("/metrics", MetricsEndpoint.Handle).WithTags("Cluster")
            .WithSummary("Prometheus metrics (text format)").WithDescription("No token needed.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }

    private static void MapJobs(RouteGroupBuilder jobs)
    {
        jobs.MapPost("/submit", SubmitEndpoint.Handle)
            .WithSummary("Submit a job (SCNS-Conductor's POST /jobs/submit)")
            .WithDescription("Stores the job as PENDING and answers 201 {\"job_id\": \"1001\"} (a string, as SCNS does); with 'array', job_ids lists " +
                             "every task. Header Idempotency-Key (at most 200 printable characters): a retry with the same key and body answers the " +
                             "same job; the same key with another body is 409. Header X-Conductor-Client: cli or web sets data_source (default API). " +
                             "400 names every bad, unknown or misplaced field; 413 for a body over the limit; 429 past the account's rate or quota.")
            .Accepts<SubmitRequest>(Json).ProducesProblem(StatusCodes.Status409Conflict, Problem)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge, Problem).ProducesProblem(StatusCodes.Status429TooManyRequests, Problem);
        jobs.MapPost("/submit/bulk", BulkSubmitEndpoint.Handle)
            .WithSummary("Submit many jobs at once, all or nothing")
            .WithDescription("An array of 1 to 10,000 submit bodies (Conductor:Api:MaxBulkJobs), no job arrays among them; body up to 64 MiB. " +
                             "Every element is validated first (errors named [i].job.field); only a fully valid array is stored, in one " +
                             "transaction. Idempotency-Key as for a single submit: the same key and body answer the same job_ids.")
            .Accepts<SubmitRequest[]>(Json).ProducesProblem(StatusCodes.Status409Conflict, Problem)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge, Problem).ProducesProblem(StatusCodes.Status429TooManyRequests, Problem);
        jobs.MapGet("/query/{id}", QueryEndpoint.Handle)
            .WithSummary("A job's state, times, output and details (SCNS-Conductor's GET /jobs/query/{id})")
            .WithDescription("SCNS-Conductor's JobQueryResponse field for field. job_log holds each output whole below 1 MiB, else its last 1,000 " +
                             "lines under a line saying so (GET /jobs/{id}/logs pages the whole file). detail.exit_code is Slurm's code:signal " +
                             "(\"2:0\" exit 2, \"0:9\" killed by signal 9), detail.exit_status bash's number (2, 137). Another account's job is a 404.");
        jobs.MapPost("/cancel/{id}", CancelEndpoint.Handle)
            .WithSummary("Cancel a job (SCNS-Conductor's POST /jobs/cancel/{id}), idempotent")
            .WithDescription("PENDING ends CANCELLED at once; RUNNING gets SIGTERM on its process group, a grace period, then SIGKILL, and ends " +
                             "CANCELLED; a finished job stays as it is and still answers 200. Unknown id (or another account's job): 404.");
        jobs.MapGet("", ListEndpoint.Handle)
            .WithSummary("List jobs, newest first")
            .WithDescription("Filters state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED), account (admins), name; limit 1-1000 (default 100); " +
                             "pass next_cursor back as cursor for the next page. A non-admin sees only its own account's jobs.");
        jobs.MapGet("/{id}/events", EventsEndpoint.Handle)
            .WithSummary("A job's state transitions, oldest first");
        jobs.MapGet("/{id}/logs", LogsEndpoint.Handle)
            .WithSummary("A job's whole output, paged, or followed live")
            .WithDescription($"stream=stdout|stderr (default stdout), offset in bytes (default 0), limit per page (1 to {LogsEndpoint.MaxLimit}, " +
                             $"default {LogsEndpoint.DefaultLimit}: 64 KiB pages); next_offset and eof say where to go on. follow=true streams " +
                             "server-sent events until the job ends (Last-Event-ID resumes). Output on a node the API cannot reach now " +
                             "(no shared file system, the node's output channel does not answer): 503 naming the node, with Retry-After; " +
                             "when following, one event: unreachable, then the stream resumes once the node answers.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable, Problem);
        jobs.MapPost("/resubmit/{id}", ResubmitEndpoint.Handle)
            .WithSummary("A new PENDING job copied from a finished one")
            .WithDescription("Same script and settings; the old job is untouched. A job that has not finished is a 409.");
    }

    private static void MapSchedules(RouteGroupBuilder schedules)
    {
        const string admins = " Admin tokens only (anonymous loopback counts as admin); others get 403.";
        schedules.MapPost("", CreateScheduleEndpoint.Handle)
            .WithSummary("Create a cron schedule")
            .WithDescription("cron and job_template are required; defaults: enabled (status 1), time_zone UTC, overlap allow, misfire fire_once." + admins)
            .Accepts<ScheduleRequest>(Json).ProducesProblem(StatusCodes.Status413PayloadTooLarge, Problem);
        schedules.MapGet("", ListSchedulesEndpoint.Handle).WithSummary("List cron schedules").WithDescription(admins.Trim());
        schedules.MapGet("/{id}", GetScheduleEndpoint.Handle).WithSummary("One cron schedule, with its next fire time").WithDescription(admins.Trim());
        schedules.MapPatch("/{id}", UpdateScheduleEndpoint.Handle)
            .WithSummary("Change a cron schedule").WithDescription("Any field of the create body; the others stay." + admins)
            .Accepts<ScheduleRequest>(Json).ProducesProblem(StatusCodes.Status413PayloadTooLarge, Problem);
        schedules.MapDelete("/{id}", DeleteScheduleEndpoint.Handle).WithSummary("Delete a cron schedule (its jobs stay)").WithDescription(admins.Trim());
    }
}
