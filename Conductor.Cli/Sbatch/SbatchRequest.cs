namespace Conductor.Cli.Sbatch;

/// <summary>
/// What an sbatch invocation asks for, filled from #SBATCH lines, then SBATCH_* variables, then
/// the command line: each later source overrides an earlier one, as in sbatch.
/// </summary>
internal sealed class SbatchRequest
{
    public string? Name { get; set; }
    public string? Account { get; set; }
    public string? Partition { get; set; }
    public int? Ntasks { get; set; }
    public int? NtasksPerNode { get; set; }
    public int? CpusPerTask { get; set; }
    public bool TimeSet { get; set; }
    public int? TimeSeconds { get; set; }
    public string? Output { get; set; }
    public string? Error { get; set; }
    public string? Chdir { get; set; }
    public string? Export { get; set; }
    public string? Array { get; set; }
    public string? Dependency { get; set; }
    public string? Begin { get; set; }
    public bool Exclusive { get; set; }
    public bool Hold { get; set; }
    public bool Requeue { get; set; }

    /// <summary>--gres as given (gpu:2, gpu:a100:1); the API reads and checks it.</summary>
    public string? Gres { get; set; }

    /// <summary>--gpus / --gpus-per-node as given (2, a100:2).</summary>
    public string? Gpus { get; set; }
    public int? Nice { get; set; }
    public int? Priority { get; set; }
    public string? Wrap { get; set; }
    public bool Parsable { get; set; }
    public bool Wait { get; set; }
    public bool Follow { get; set; }
    public bool Quiet { get; set; }
    public bool Help { get; set; }
    public bool Usage { get; set; }
    public bool Version { get; set; }
    public List<string> Warnings { get; } = [];

    /// <summary>Which source is being applied (0 script, 1 environment, 2 command line): --mem and --mem-per-cpu conflict only within one.</summary>
    public int Level { get; set; }

    private long? _memMb, _memPerCpuMb;
    private int _memLevel = -1;

    public long? MemMb
    {
        get => _memMb;
        set => SetMemory(ref _memMb, ref _memPerCpuMb, value, "--mem", "--mem-per-cpu");
    }

    public long? MemPerCpuMb
    {
        get => _memPerCpuMb;
        set => SetMemory(ref _memPerCpuMb, ref _memMb, value, "--mem-per-cpu", "--mem");
    }

    private void SetMemory(ref long? field, ref long? other, long? value, string name, string otherName)
    {
        if (other is not null && _memLevel == Level)
            throw new Slurm.SlurmUsageException($"{name} and {otherName} are mutually exclusive");
        other = null;
        field = value;
        _memLevel = Level;
    }
}
