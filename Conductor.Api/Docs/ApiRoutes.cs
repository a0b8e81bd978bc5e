using Conductor.Api.Accounting;
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
            .WithSummary("Nodes: partition, cores, used cores, memory, GPUs, heartbeat, state")
            .WithDescription("state is UP, DOWN, DRAINING (drained while jobs still run) or DRAINED, with drain_reason and drain_deadline. " +
                             "devices lists its GPUs: each one's model and whether it is held; the holding job only for the caller's own jobs.");
        MapOperations(app);
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
        jobs.MapPost("/{id}/hold", HoldEndpoints.Hold)
            .WithSummary("Hold a PENDING job (scontrol hold / uhold)")
            .WithDescription("It stays PENDING with reason Held and hold \"user\" or \"admin\" until released. An admin's hold is an admin hold " +
                             "unless kind=user; only admins place admin holds (403). Idempotent; 409 once the job started; another account's job: 404.");
        jobs.MapPost("/{id}/release", HoldEndpoints.Release)
            .WithSummary("Release a held job: back in line in its original submit order (scontrol release)")
            .WithDescription("A user hold is released by the job's account or an admin; an admin hold only by an admin (403). Idempotent.");
        jobs.MapPost("/{id}/requeue", HoldEndpoints.Requeue)
            .WithSummary("Requeue a RUNNING job: its whole cgroup is killed, it goes back in line as a new attempt (scontrol requeue)")
            .WithDescription("attempt counts the runs. A PENDING or finished job is a 409 (a finished one is resubmitted: POST /jobs/resubmit/{id} " +
                             "or POST /jobs/requeue). Idempotent; each request an event row.");
        jobs.MapPost("/requeue", BulkRequeueEndpoint.Handle)
            .WithSummary("Requeue or resubmit many jobs by filter, idempotently, answering their ids")
            .WithDescription("Body {\"state\": \"FAILED\", \"reason\": \"NodeFail\", \"account\": \"...\", \"since\": \"ISO 8601\", \"limit\": 1000}: " +
                             "RUNNING matches are requeued (killed, new attempt); finished ones are resubmitted as new jobs, each at most once " +
                             "(the same request again answers the same copies). A non-admin acts on its own account only. Every job gets an event row.");
        jobs.MapPatch("/{id}", PatchEndpoint.Handle)
            .WithSummary("Change a PENDING job (scontrol update)")
            .WithDescription("Fields, bare or inside 'job', as submit reads them: name, priority, time_limit, partition, ntasks_per_node, cpus_per_task, " +
                             "memory_per_node, dependency, begin_time; any other field is a 400 naming it, as is every invalid value. Only admins " +
                             "raise a priority or lengthen a time limit. 409 once the job started. Each change is an event row. Answers the job as query does.");
        jobs.MapPost("/resubmit/{id}", ResubmitEndpoint.Handle)
            .WithSummary("A new PENDING job copied from a finished one")
            .WithDescription("Same script and settings; the old job is untouched. A job that has not finished is a 409.");
    }

    private static void MapOperations(WebApplication app)
    {
        const string admins = " Admin tokens only; others get 403.";
        var nodes = app.MapGroup("/nodes").WithTags("Cluster").AddEndpointFilter(DrainEndpoints.AdminOnly);
        nodes.MapPost("/{name}/drain", DrainEndpoints.Drain)
            .WithSummary("Drain a node: no new jobs; running ones finish, or are requeued at the deadline")
            .WithDescription("Body (optional) {\"reason\": \"...\", \"deadline\": \"ISO 8601\"}. The node shows DRAINING while jobs run, then " +
                             "DRAINED; it stays drained across its worker's restarts until resumed. Unknown node: 404." + admins);
        nodes.MapPost("/{name}/resume", DrainEndpoints.Resume).WithSummary("Undo a drain: the node takes jobs again").WithDescription(admins.Trim());
        var partitions = app.MapGroup("/partitions").WithTags("Cluster").AddEndpointFilter(DrainEndpoints.AdminOnly);
        partitions.MapPost("/{name}/pause", DrainEndpoints.Pause)
            .WithSummary("Pause a partition's dispatch: its jobs wait (reason PartitionDown), running ones go on").WithDescription(admins.Trim());
        partitions.MapPost("/{name}/resume", DrainEndpoints.ResumePartition).WithSummary("Resume a partition's dispatch").WithDescription(admins.Trim());
        app.MapGet("/accounting/usage", UsageEndpoint.Handle).WithTags("Accounting")
            .WithSummary("Usage report: core-hours, jobs by state, mean wait, mean efficiency")
            .WithDescription("Jobs submitted in [from, to) (ISO 8601; default the last 30 days), group_by account (default), user or partition; " +
                             "format=json (default) or csv (or Accept: text/csv). Computed by SQL from the job rows. A non-admin sees its own account only.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv");
        var accounts = app.MapGroup("/accounts").WithTags("Accounting");
        accounts.MapGet("/{account}/quota", QuotaEndpoints.Get)
            .WithSummary("An account's quotas: max cores held and max running jobs, per partition")
            .WithDescription("The account itself or an admin; others get 403.");
        accounts.MapPut("/{account}/quota", QuotaEndpoints.Put)
            .WithSummary("Set an account's quota in a partition")
            .WithDescription("Body {\"partition\": \"*\" (default: each partition without its own row), \"max_cpus\": 8, \"max_running_jobs\": 4}; " +
                             "both limits null removes the row. Jobs over it wait with reason AssocGrpCpuLimit or AssocMaxJobsLimit." + admins);
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
