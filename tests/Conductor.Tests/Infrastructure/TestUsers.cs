using System.Diagnostics;
using FluentAssertions;
using Mono.Unix;

namespace Conductor.Tests.Infrastructure;

/// <summary>Unix users the tests map accounts to or squat with: created once, kept for later runs.</summary>
public static class TestUsers
{
    /// <summary>A system user for Conductor__Worker__AccountUsers__... mappings.</summary>
    public static void Ensure(string name)
    {
        if (Mono.Unix.Native.Syscall.getpwnam(name) is not null) return;
        // Another test class may create it meanwhile (useradd then fails): what counts is that it exists.
        Run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], mustSucceed: false);
        Mono.Unix.Native.Syscall.getpwnam(name).Should().NotBeNull($"the test creates its user {name}");
    }

    /// <summary>A user at the top of the default range, which no account is given (it is taken here), under a name no account derives.</summary>
    public static (string Name, int Uid) EnsureSquatter()
    {
        const string name = "cjtest-squatter";
        const int uid = 299999;
        try
        {
            var existing = new UnixUserInfo(name);
            existing.UserId.Should().Be(uid, $"{name} was made by an earlier run with this uid");
            return (name, uid);
        }
        catch (ArgumentException)
        {
            Run("groupadd", ["--gid", $"{uid}", name]);
            Run("useradd", ["--uid", $"{uid}", "--gid", $"{uid}", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--no-log-init", name]);
            return (name, uid);
        }
    }

    private static void Run(string program, string[] args, bool mustSucceed = true)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (mustSucceed) process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', args)}: {stderr}");
    }
}
