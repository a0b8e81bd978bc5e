namespace Conductor.Worker.Execution;

/// <summary>
/// The job's own wrapper shell. It runs as the session leader (pid = process group id) and:
/// 1. detaches its own stdio from the worker (a dead worker's broken pipe must not kill it);
/// 2. writes "pid start-ticks boot-id" to the pid file, read from /proc without forking, so
///    recovery can find and verify the process even if the worker died before recording it;
/// 3. caps the size of any file the job writes (ulimit -f, inherited by the script: a job that
///    writes past it is killed by SIGXFSZ, status 153), then runs the script with its output going straight to the files: a bash (or sh) script in a
///    forked subshell of this shell — no second exec of bash, which is most of the cost of a
///    short job — and a script with another interpreter line (#!/usr/bin/env python3) directly;
/// 4. writes the script's exit status (as bash reports it, 128+n for a signal) to exit_status.
/// SIGTERM to the group reaches the script; the wrapper's trap only delays the wrapper until the
/// script has gone, so the status is still written (the subshell resets the trap to the default).
/// SIGKILL leaves no status: the worker, or recovery, records that case itself.
/// Arguments: $0 the script, $1 job dir, $2 stdout file, $3 stderr file, $4 working directory,
/// $5 the file size limit in 1024-byte blocks (or "unlimited"), $6 the memory cgroup to join first
/// (empty for none), so every descendant is inside it.
/// The wrapper uses only builtins before the script: the job's PATH must not choose what it runs.
/// The wrapper's own variables are prefixed and unset before the script runs.
/// </summary>
public static class Wrapper
{
    public const string Script = """
        __cj_dir=$1 __cj_out=$2 __cj_err=$3 __cj_wd=$4 __cj_fsize=${5:-unlimited}
        exec </dev/null >>"$__cj_dir/wrapper.log" 2>&1
        [[ -z $6 ]] || echo $$ >"$6/cgroup.procs" || echo "could not join memory cgroup $6"
        trap ':' TERM INT HUP
        read -r __cj_stat </proc/$$/stat
        set -f -- ${__cj_stat##*) }
        read -r __cj_boot </proc/sys/kernel/random/boot_id
        echo "$$ ${20} $__cj_boot" >"$__cj_dir/pid"
        set +f --
        cd -- "$__cj_wd" || { echo 1 >"$__cj_dir/exit_status"; exit 1; }
        ulimit -f "$__cj_fsize" || { echo 1 >"$__cj_dir/exit_status"; exit 1; }
        __cj_first=
        read -r __cj_first <"$0"
        if [[ $__cj_first == '#!'* && $__cj_first != *bash* && $__cj_first != *'/sh'* ]]; then
            "$0" >"$__cj_out" 2>"$__cj_err"
        else
            ( trap - TERM INT HUP; unset __cj_dir __cj_out __cj_err __cj_wd __cj_fsize __cj_stat __cj_boot __cj_first; . "$0" ) >"$__cj_out" 2>"$__cj_err"
        fi
        __cj_rc=$?
        echo "$__cj_rc" >"$__cj_dir/exit_status"
        exit "$__cj_rc"
        """;
}
