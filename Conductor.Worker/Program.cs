using Microsoft.Extensions.Hosting;

namespace Conductor.Worker;

public static class WorkerProgram
{
    public static async Task Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddConductorWorker();
        await builder.Build().RunAsync();
    }
}
