// The tests drive real Linux processes, as the worker does.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
