namespace Conductor.Worker.Operations;

/// <summary>
/// The product commands the worker executable runs instead of the worker host when its first
/// argument names one; <c>scripts/health_check.sh</c> and <c>scripts/cleanup.sh</c> wrap them.
/// </summary>
internal static class OperationsCommands
{
    public static Func<IReadOnlyList<string>, TextWriter, CancellationToken, Task<int>>? Find(string verb) => verb switch
    {
        HealthCheckCommand.Name => HealthCheckCommand.RunAsync,
        CleanupCommand.Name => CleanupCommand.RunAsync,
        _ => null,
    };

    public static async Task<int> RunAsync(Func<IReadOnlyList<string>, TextWriter, CancellationToken, Task<int>> command, string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await command(args, Console.Out, cancel.Token);
    }
}
