using Conductor.Cli;

return await Dispatcher.RunAsync(Dispatcher.InvokedName(), args);
