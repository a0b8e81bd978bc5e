using Conductor.Worker.Operations;
using Microsoft.Extensions.Hosting;

namespace Conductor.Worker;

public static class WorkerProgram
{
    /// <summary>
    /// Runs the worker host; when the first argument names an operations command
    /// (<c>health-check</c>, <c>cleanup</c>), that command and its exit code; with <c>spawner</c>,
    /// the job spawner the worker starts for itself.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == Execution.Spawning.SpawnerHost.Command)
            return Execution.Spawning.SpawnerHost.Run(args[1..]);
        if (args.Length > 0 && OperationsCommands.Find(args[0]) is { } command)
            return await OperationsCommands.RunAsync(command, args[1..]);

        var builder = Host.CreateApplicationBuilder(args);
        builder.AddConductorWorker();
        await builder.Build().RunAsync();
        return 0;
    }
}
