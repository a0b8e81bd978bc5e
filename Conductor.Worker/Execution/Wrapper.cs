namespace Conductor.Worker.Execution;

/// <summary>
/// The job's own wrapper shell. It runs as the session leader (pid = process group id) and:
/// 1. detaches its own stdio from the worker (a dead worker's broken pipe must not kill it);
/// 2. writes "pid start-ticks boot-id" to the pid file, read from /proc without forking, so
///    recovery can find and verify the process even if the worker died before recording it;
/// 3. runs the script with its output going straight to the files;
/// 4. writes the script's exit status (as bash reports it, 128+n for a signal) to exit_status.
/// SIGTERM to the group reaches the script; the wrapper's trap only delays the wrapper until the
/// script has gone, so the status is still written. SIGKILL leaves no status: the worker, or
/// recovery, records that case itself.
/// Arguments: $1 job dir, $2 stdout file, $3 stderr file, $4 working directory.
/// </summary>
public static class Wrapper
{
    public const string Script = """
        jobdir=$1 out=$2 err=$3 wd=$4
        exec </dev/null >>"$jobdir/wrapper.log" 2>&1
        trap ':' TERM INT HUP
        read -r stat </proc/$$/stat
        rest=${stat##*) }
        set -f -- $rest
        read -r boot </proc/sys/kernel/random/boot_id
        echo "$$ ${20} $boot" >"$jobdir/pid"
        cd -- "$wd" || { echo 1 >"$jobdir/exit_status"; exit 1; }
        bash "$jobdir/script.sh" >"$out" 2>"$err"
        rc=$?
        echo "$rc" >"$jobdir/exit_status"
        exit "$rc"
        """;
}
