// The CLI stores its token with Unix permissions (0600) and finds its invoked name in /proc: Unix only.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
