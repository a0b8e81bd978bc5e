namespace Conductor.Worker.Processes;

/// <summary>
/// The job's own shell, <c>bash -c &lt;this&gt; script out err wd fsize gate</c>, started by the
/// spawner as a session leader (its pid is the job's process group and session id) with stdin
/// from /dev/null and its own stdout/stderr in the job's <c>wrapper.log</c>, already inside its
/// cgroups or (cgroup v2, $5 = "gate") waiting on fd 3 until the spawner has placed it there. It:
/// 1. with a gate, reads the spawner's word and closes fd 3; it does not go on unless placed ("ok");
/// 2. enters the working directory ($3) and caps the size of any file the job writes
///    (ulimit -f, $4 in 1024-byte blocks or "unlimited": a job writing past it is killed by
///    SIGXFSZ, status 153), then gives back their names to the start-up variables the launcher
///    held back (see <see cref="SpawnerLauncher.Deferred"/>), so none of them acts before the cap;
/// 3. becomes the script, with its output going straight to the files ($1, $2; the same path, as
///    sbatch's default, is opened once: two opens would write over each other): a bash (or sh)
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
        if [[ $5 == gate ]]; then
            __cj_gate=
            read -r -u 3 __cj_gate
            exec 3<&-
            [[ $__cj_gate == ok ]] || { echo "the job was not placed in its cgroup; not running it"; exit 125; }
        fi
        cd -- "$__cj_wd" || exit 1
        ulimit -f "$__cj_fsize" || exit 1
        for __cj_v in ${!__CJ_ENV_@}; do
            export "${__cj_v#__CJ_ENV_}=${!__cj_v}"
            unset "$__cj_v"
        done
        __cj_first=
        read -r __cj_first <"$0"
        if [[ $__cj_first == '#!'* && $__cj_first != *bash* && $__cj_first != *'/sh'* ]]; then
            [[ $__cj_out == "$__cj_err" ]] && exec "$0" >"$__cj_out" 2>&1
            exec "$0" >"$__cj_out" 2>"$__cj_err"
        fi
        if [[ $__cj_out == "$__cj_err" ]]; then exec >"$__cj_out" 2>&1; else exec >"$__cj_out" 2>"$__cj_err"; fi
        unset __cj_out __cj_err __cj_wd __cj_fsize __cj_first __cj_gate __cj_v
        set --
        . "$0"
        """;
}
