namespace Conductor.Worker.Execution;

/// <summary>
/// The job's own shell, <c>bash -c &lt;this&gt; script out err wd fsize cgroup</c>, started by the
/// spawner as a session leader (its pid is the job's process group and session id) with stdin
/// from /dev/null and its own stdout/stderr in the job's <c>wrapper.log</c>. It:
/// 1. moves itself into the job's memory cgroup ($5, empty for none), so every descendant is inside;
/// 2. enters the working directory ($3) and caps the size of any file the job writes
///    (ulimit -f, $4 in 1024-byte blocks or "unlimited": a job writing past it is killed by
///    SIGXFSZ, status 153);
/// 3. becomes the script, with its output going straight to the files ($1, $2): a bash (or sh)
///    script is sourced by this very shell — no fork and no second exec of bash — and a script
///    with another interpreter line (#!/usr/bin/env python3) replaces it by exec.
/// The job is thus one process from the start: its exit status is the script's, which the
/// spawner, its parent, reaps and writes to exit_status (128+n for signal n), and the pid file
/// the spawner wrote names the script's own process.
/// Only builtins run before the script: the job's PATH must not choose what runs. The shell's
/// own variables are unset and its positional parameters cleared before the script runs.
/// </summary>
public static class Wrapper
{
    public const string Script = """
        __cj_out=$1 __cj_err=$2 __cj_wd=$3 __cj_fsize=${4:-unlimited}
        [[ -z $5 ]] || echo $$ >"$5/cgroup.procs" || echo "could not join memory cgroup $5"
        cd -- "$__cj_wd" || exit 1
        ulimit -f "$__cj_fsize" || exit 1
        __cj_first=
        read -r __cj_first <"$0"
        if [[ $__cj_first == '#!'* && $__cj_first != *bash* && $__cj_first != *'/sh'* ]]; then
            exec "$0" >"$__cj_out" 2>"$__cj_err"
        fi
        exec >"$__cj_out" 2>"$__cj_err"
        unset __cj_out __cj_err __cj_wd __cj_fsize __cj_first
        set --
        . "$0"
        """;
}
