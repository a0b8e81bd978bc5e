using Conductor.Worker.Operations;
using Microsoft.Extensions.Configuration;
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
        if (args.Length > 0 && args[0] == Processes.Spawning.SpawnerHost.Command)
            return Processes.Spawning.SpawnerHost.Run(args[1..]);
        if (args.Length > 0 && OperationsCommands.Find(args[0]) is { } command)
            return await OperationsCommands.RunAsync(command, args[1..]);

        // Socket completions (PostgreSQL, Redis) continue on the socket engine's own thread instead
        // of being handed to the thread pool first. What the worker does after a database answer
        // is short and never waits on another socket, and on a 2-core machine the hand-offs were
        // most of its thread wake-ups: 24 per job with them, 11 without (perf sched, 2 cores busy
        // with jobs). Set before any socket exists; an operator's own setting wins.
        const string inlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(inlineCompletions) is null) Environment.SetEnvironmentVariable(inlineCompletions, "1");

        // No reloading of configuration files on change: that watches the content root (the
        // working directory) recursively, and with a data directory under it every job's files
        // would cost the worker inotify events.
        var settings = new HostApplicationBuilderSettings { Args = args, Configuration = new ConfigurationManager() };
        settings.Configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        var builder = Host.CreateApplicationBuilder(settings);
        builder.AddConductorWorker();
        var host = builder.Build();
        if (PrepareDataLayout(builder.Configuration["Conductor:Worker:DataDir"] ?? new WorkerOptions().DataDir) is { } problem)
        {
            await Console.Error.WriteLineAsync($"The worker cannot start: {problem}");
            return 1;
        }
        await host.RunAsync();
        return 0;
    }

    /// <summary>Creates or checks <c>&lt;data&gt;/jobs</c> and <c>&lt;data&gt;/control</c> (see <see cref="Processes.JobFiles"/>); the problem, if any.</summary>
    private static string? PrepareDataLayout(string dataDir)
    {
        try
        {
            Processes.JobFiles.PrepareLayout(dataDir);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
