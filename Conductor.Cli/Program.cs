namespace Conductor.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) => Dispatcher.RunAsync(Dispatcher.InvokedName(), args);
}
