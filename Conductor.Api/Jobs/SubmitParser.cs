using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conductor.Api.Auth;
using Conductor.Core.Accounts;
using Conductor.Core.Jobs;

namespace Conductor.Api.Jobs;

/// <summary>
/// Turns one SCNS-Conductor submit body (<c>{"job": {...}, "script": "..."}</c>) into a
/// <see cref="JobSpec"/>, or into errors that name every bad field. Never throws on input.
/// </summary>
internal static partial class SubmitParser
{
    // \A...\z, not ^...$: '$' also matches before a final '\n', so "PATH\n" would pass.
    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex EnvName();

    /// <remarks>The job's account is decided by <see cref="JobAccess.SubmitAccount"/> for <paramref name="caller"/>.</remarks>
    /// <param name="strict">Unknown or misplaced fields are errors (<see cref="KnownFields"/>); off only for templates stored before that rule.</param>
    public static JobSpec? Parse(JsonElement root, string prefix, ApiOptions limits, Caller caller, FieldErrors errors, bool strict = true)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(prefix.Length == 0 ? "body" : prefix, "The request body must be a JSON object with 'job' and 'script'.");
            return null;
        }
        var top = new JsonFields(root, prefix, errors);
        var script = ParseScript(top, prefix, limits, errors);
        var jobPath = prefix.Length == 0 ? "job" : $"{prefix}.job";
        var job = root.TryGetProperty("job", out var j) && j.ValueKind != JsonValueKind.Null ? j : default;
        if (job.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
        {
            errors.Add(jobPath, "'job' must be an object.");
            return null;
        }
        if (strict) KnownFields.Check(root, job, prefix, errors);
        var spec = job.ValueKind == JsonValueKind.Object
            ? ParseJob(job, jobPath, limits, caller, errors)
            : new JobSpec { Script = "", Account = JobAccess.SubmitAccount(caller, null, $"{jobPath}.account", errors) };
        return errors.Any || script is null ? null : spec with { Script = script };
    }

    private static string? ParseScript(JsonFields top, string prefix, ApiOptions limits, FieldErrors errors)
    {
        var field = prefix.Length == 0 ? "script" : $"{prefix}.script";
        if (!top.Has("script"))
        {
            errors.Add(field, "'script' is required.");
            return null;
        }
        var script = top.String("script", int.MaxValue);
        if (script is null) return null;
        if (string.IsNullOrWhiteSpace(script)) errors.Add(field, "'script' must not be blank.");
        else if (Encoding.UTF8.GetByteCount(script) > limits.MaxScriptBytes)
            errors.Add(field, $"'script' must be at most {limits.MaxScriptBytes} bytes.");
        return script;
    }

    /// <summary>The job object of a submit body alone (absent fields get submit's defaults): what an edit (PATCH) validates with.</summary>
    internal static JobSpec ParseJobFields(JsonElement job, string path, ApiOptions limits, Caller caller, FieldErrors errors) =>
        ParseJob(job, path, limits, caller, errors);

    private static JobSpec ParseJob(JsonElement job, string path, ApiOptions limits, Caller caller, FieldErrors errors)
    {
        var f = new JsonFields(job, path, errors);
        var name = Printable(f.String("name", limits.MaxNameLength), $"{path}.name", errors);
        var workDir = ParseWorkDir(f.String("current_working_directory", 4096), $"{path}.current_working_directory", limits, errors);
        var spec = new JobSpec
        {
            Script = "",
            Name = name,
            Account = JobAccess.SubmitAccount(caller, ParseAccount(f.String("account", limits.MaxAccountLength), $"{path}.account", limits, errors),
                $"{path}.account", errors),
            Partition = Printable(f.String("partition", 64), $"{path}.partition", errors) ?? "default",
            NtasksPerNode = f.Int("ntasks_per_node", 1, 4096) ?? 1,
            CpusPerTask = f.Int("cpus_per_task", 1, 4096) ?? 1,
            MemoryMb = ParseMemory(f.StringOrNumber("memory_per_node", 32), $"{path}.memory_per_node", errors) ?? 1024,
            TimeLimitSeconds = ParseTimeLimit(f.StringOrNumber("time_limit", 32), $"{path}.time_limit", errors),
            Environment = ParseEnvironment(job, $"{path}.environment", limits, errors),
            WorkDir = workDir,
            StandardOutput = ParseOutput(f.String("standard_output", 4096), workDir, name, $"{path}.standard_output", limits, errors),
            StandardError = ParseOutput(f.String("standard_error", 4096), workDir, name, $"{path}.standard_error", limits, errors),
            Exclusive = f.Bool("exclusive") ?? false,
            Priority = f.Int("priority", 0, 1000) ?? 5,
            Gres = GpuFields.Parse(f, path, errors),
            GresField = f.Has("gres") ? "gres" : "gpus",
        };
        if ((long)spec.NtasksPerNode * spec.CpusPerTask > 4096)
            errors.Add($"{path}.cpus_per_task", "ntasks_per_node * cpus_per_task must be at most 4096.");
        return SchedulingFields.Parse(f, path, errors, spec, limits.MaxBulkJobs);
    }

    /// <summary>Names end up in logs, file names (%x) and the environment: no control characters.</summary>
    private static string? Printable(string? text, string field, FieldErrors errors)
    {
        if (text is not null && text.Any(char.IsControl)) errors.Add(field, $"'{field}' must not contain control characters.");
        return text;
    }

    private static string? ParseAccount(string? account, string field, ApiOptions limits, FieldErrors errors)
    {
        if (account is null || AccountName.IsValid(account, limits.MaxAccountLength)) return account;
        errors.Add(field, $"'{field}' must be 1 to {Math.Min(limits.MaxAccountLength, AccountName.MaxLength)} letters or digits (any script, " +
            "such as 项目A) and '.', '_', '@' or '-', starting with a letter or digit; no spaces or symbols.");
        return account;
    }

    private static long? ParseMemory(string? text, string field, FieldErrors errors)
    {
        if (text is null) return null;
        if (MemorySize.TryParseMb(text, out var mb)) return mb;
        errors.Add(field, $"'{field}' must be a size such as 512M or 16G.");
        return null;
    }

    private static int? ParseTimeLimit(string? text, string field, FieldErrors errors)
    {
        if (text is null) return null;
        if (ScnsTime.TryParseSeconds(text, out var seconds)) return seconds;
        errors.Add(field, $"'{field}' must be a time limit as SCNS-Conductor reads it: minutes (\"30\"), H:MM (\"2:30\" = 2 h 30 min), " +
            "H:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED.");
        return null;
    }

    private static string? ParseWorkDir(string? dir, string field, ApiOptions limits, FieldErrors errors)
    {
        if (dir is null) return null;
        if (limits.Roots.Violation(dir) is { } why) errors.Add(field, $"'{field}' {why}.");
        return dir;
    }

    /// <summary>
    /// An output path (a Slurm pattern: %j id, %x name) must stay inside the allowed roots once
    /// expanded. Relative to the working directory; with none given, to the job's own directory,
    /// which only a '..' could leave. The worker checks the real expansion again before spawn.
    /// </summary>
    private static string? ParseOutput(string? pattern, string? workDir, string? name, string field, ApiOptions limits, FieldErrors errors)
    {
        if (pattern is null) return null;
        var expanded = pattern.Replace("%%", "\0").Replace("%j", "1").Replace("%x", name ?? "job-1").Replace("\0", "%");
        string? why;
        if (Path.IsPathRooted(expanded)) why = limits.Roots.Violation(expanded);
        else if (workDir is not null) why = limits.Roots.Violation(Path.Combine(workDir, expanded));
        else why = expanded.Split('/').Contains("..") ? "must not contain '..' segments" : null;
        if (why is not null) errors.Add(field, $"'{field}' {why}.");
        return pattern;
    }

    private static Dictionary<string, string> ParseEnvironment(JsonElement job, string field, ApiOptions limits, FieldErrors errors)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!job.TryGetProperty("environment", out var e) || e.ValueKind == JsonValueKind.Null) return env;
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors.Add(field, $"'{field}' must be an object of variable names to string values.");
            return env;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (!EnvName().IsMatch(p.Name) || p.Name.Length > 256)
                errors.Add($"{field}.{p.Name}", $"'{p.Name}' is not a valid environment variable name.");
            else if (EnvironmentPolicy.ReservedBecause(p.Name) is { } why)
                errors.Add($"{field}.{p.Name}", $"'{p.Name}' cannot be set by a job: {why}.");
            else if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null)
                errors.Add($"{field}.{p.Name}", $"'{field}.{p.Name}' must be a string.");
            else
            {
                var value = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                if (value.Contains('\0')) errors.Add($"{field}.{p.Name}", "Environment values must not contain NUL characters.");
                else env[p.Name] = value;
            }
        }
        if (env.Count > limits.MaxEnvironmentEntries)
            errors.Add(field, $"'{field}' may hold at most {limits.MaxEnvironmentEntries} variables.");
        else if (env.Sum(kv => Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value) + 2) > limits.MaxEnvironmentBytes)
            errors.Add(field, $"'{field}' may hold at most {limits.MaxEnvironmentBytes} bytes of names and values.");
        return env;
    }
}
