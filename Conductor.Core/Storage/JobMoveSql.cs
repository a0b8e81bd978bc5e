using Conductor.Core.Jobs;

namespace Conductor.Core.Storage;

/// <summary>
/// The one shape of every statement that moves jobs between states, whoever writes it (a
/// transition or finish, a claim, the node reaper through its finishes): a compare-and-set UPDATE
/// on the state each job is expected to be in, an event row for each job moved, and the release
/// of the allocation of each job that leaves RUNNING — one statement, so all of it happens or none.
/// Every move it writes is asked of <see cref="JobTransitions"/> first.
/// </summary>
/// <param name="Rows">the jobs to move, a query whose rows are named <c>t</c> and have an <c>id</c> column; their
/// ids are also the array parameter <c>@ids</c>, by which the jobs are looked up (see <see cref="Text"/>)</param>
/// <param name="From">the state a job must be in to move (SQL: a literal, or a column of <c>t</c>)</param>
/// <param name="To">the state it moves to (likewise)</param>
/// <param name="Set">the rest of the UPDATE's assignments (<c>j</c> is the job, <c>t</c> its row)</param>
internal sealed record JobMoveSql(string Rows, string From, string To, string Set)
{
    /// <summary>More conditions on each job (<c>AND ...</c>).</summary>
    public string Where { get; init; } = "";

    /// <summary>The event's reason, node and time.</summary>
    public string EventReason { get; init; } = "t.reason";
    public string EventNode { get; init; } = "t.node";
    public string EventTime { get; init; } = "now()";
    public string EventMessage { get; init; } = "NULL::text";

    /// <summary>What <c>moved</c> holds of each job besides the event's columns.</summary>
    public string Returning { get; init; } = "j.id";

    /// <summary>Further common table expressions over <c>moved</c> (<c>, name AS (...)</c>).</summary>
    public string Also { get; init; } = "";

    /// <summary>The statement's result.</summary>
    public string Result { get; init; } = "SELECT id FROM moved";

    private bool MayLeaveRunning { get; init; }

    /// <summary>The same move for every job.</summary>
    public static JobMoveSql Between(JobState from, JobState to, string rows, string set)
    {
        JobTransitions.EnsureAllowed(from, to);
        return new JobMoveSql(rows, $"'{from.ToWire()}'", $"'{to.ToWire()}'", set) { MayLeaveRunning = from == JobState.Running };
    }

    /// <summary>Each job its own move, from the columns <c>t.from_state</c> and <c>t.to_state</c>.</summary>
    public static JobMoveSql PerRow(IEnumerable<(JobState From, JobState To)> moves, string rows, string set)
    {
        var leaves = false;
        foreach (var (from, to) in moves)
        {
            JobTransitions.EnsureAllowed(from, to);
            leaves |= from == JobState.Running;
        }
        return new JobMoveSql(rows, "t.from_state", "t.to_state", set) { MayLeaveRunning = leaves };
    }

    /// <summary>
    /// The statement. Its jobs are found by primary key, <c>j.id = ANY(@ids)</c>, and the expected
    /// state is checked as <c>(...) IS TRUE</c>, a form no index can serve: a generic plan guesses
    /// 10 rows for <c>t</c> and, from statistics taken when few jobs were PENDING, one PENDING job,
    /// and so scanned every PENDING job of the state index and filtered it against the ids — a
    /// claim whose cost grew with the queue (1,100 rows read per claim with 1,100 queued).
    /// </summary>
    public string Text => $"""
        WITH t AS ({Rows}),
        moved AS (
            UPDATE jobs j SET state = {To}, {Set}
            FROM t
            WHERE j.id = ANY(@ids) AND j.id = t.id AND (j.state = {From}) IS TRUE {Where}
            RETURNING {Returning}, {From} AS ev_from, {To} AS ev_to, {EventReason} AS ev_reason, {EventNode} AS ev_node, {EventMessage} AS ev_msg),
        ev AS (
            INSERT INTO job_events (job_id, from_state, to_state, reason, at, node, message)
            SELECT id, ev_from, ev_to, ev_reason, {EventTime}, ev_node, ev_msg FROM moved){Released}{Also}
        {Result}
        """;

    // Every legal move out of RUNNING ends the allocation; PENDING jobs hold none.
    private string Released => MayLeaveRunning
        ? """
          ,
          released AS (
              UPDATE allocations a SET released_at = now()
              FROM moved m WHERE m.ev_from = 'RUNNING' AND a.job_id = m.id AND a.released_at IS NULL)
          """
        : "";
}
