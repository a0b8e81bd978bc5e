// The worker drives Linux processes (/proc, sessions, CPU affinity): it supports Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
