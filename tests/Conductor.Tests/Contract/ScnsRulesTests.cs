using System.Text.RegularExpressions;
using Conductor.Core.Accounts;
using Conductor.Core.Jobs;

namespace Conductor.Tests.Contract;

/// <summary>SCNS-Conductor's readings and formats, and the account and environment rules, without a server.</summary>
public sealed class ScnsRulesTests
{
    [Theory]
    [InlineData("30", 30 * 60)]
    [InlineData("2:30", (2 * 60 + 30) * 60)]
    [InlineData("1:00", 3600)]
    [InlineData("1:30:00", 90 * 60)]
    [InlineData("0:00:03", 3)]
    [InlineData("2-12", (2 * 24 + 12) * 3600)]
    [InlineData("2-12:30", (2 * 24 + 12) * 3600 + 30 * 60)]
    [InlineData("2-12:00:00", (2 * 24 + 12) * 3600)]
    [InlineData("1-00:00:05", 86405)]
    public void ATimeLimit_IsReadAsScnsReadsIt_ButKeepsItsSeconds(string text, int seconds)
    {
        ScnsTime.TryParseSeconds(text, out var parsed).Should().BeTrue();
        parsed.Should().Be(seconds);
    }

    [Theory]
    [InlineData("1-02:03:04")]
    [InlineData("0-00:00:30")]
    [InlineData("12-23:59:59")]
    public void TheClisDHHMMSS_ReadsTheSameInScnsAndSlurmReadings(string text)
    {
        ScnsTime.TryParseSeconds(text, out var scns).Should().BeTrue();
        SlurmTime.TryParseSeconds(text, out var slurm).Should().BeTrue();
        scns.Should().Be(slurm);
    }

    [Theory]
    [InlineData("UNLIMITED")]
    [InlineData("infinite")]
    [InlineData("0")]
    public void NoLimitSpellings_MeanNoLimit(string text)
    {
        ScnsTime.TryParseSeconds(text, out var parsed).Should().BeTrue();
        parsed.Should().BeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1:2:3:4")]
    [InlineData("1-2-3")]
    [InlineData("1.5")]
    [InlineData("1:")]
    [InlineData("400-00")]
    public void Garbage_IsRefused(string text) => ScnsTime.TryParseSeconds(text, out _).Should().BeFalse();

    [Theory]
    [InlineData(7200, "2:00:00")]
    [InlineData(5, "0:00:05")]
    [InlineData(86400 + 1800, "1-00:30:00")]
    [InlineData(null, "UNLIMITED")]
    public void LimitTime_IsFormattedAsScnsFormatsIt(int? seconds, string expected) => ScnsTime.FormatLimit(seconds).Should().Be(expected);

    [Theory]
    [InlineData("项目A")]
    [InlineData("équipe-3")]
    [InlineData("проект_1")]
    [InlineData("project_alpha")]
    [InlineData("ठीक")]
    public void UnicodeLettersAndDigits_AreValidAccounts(string account) => AccountName.IsValid(account).Should().BeTrue();

    [Theory]
    [InlineData("项目 A")]
    [InlineData("a\u200db")]
    [InlineData("a\u202eb")]
    [InlineData("../etc")]
    [InlineData("-rf")]
    [InlineData("a/b")]
    [InlineData("a\n")]
    public void SpacesInvisiblesAndPaths_AreNotAccounts(string account) => AccountName.IsValid(account).Should().BeFalse();

    [Theory]
    [InlineData("项目A")]
    [InlineData("项目B")]
    [InlineData("проект")]
    [InlineData("\u212A")]
    public void AUnicodeAccount_MapsToAPortableUnixUserName_OfItsOwn(string account)
    {
        var name = AccountUserName.For(account);

        Regex.IsMatch(name, "^cj-[a-z0-9_-]*-[0-9a-f]{8}$").Should().BeTrue($"{name} is a portable user name");
        name.Length.Should().BeLessThanOrEqualTo(32);
        AccountUserName.For("k").Should().NotBe(AccountUserName.For("\u212A"), "the Kelvin sign lower-cases to k but is another account");
        AccountUserName.For("项目A").Should().NotBe(AccountUserName.For("项目B"));
    }

    [Theory]
    [InlineData("LD_LIBRARY_PATH")]
    [InlineData("LD_PRELOAD")]
    [InlineData("BASH_ENV")]
    [InlineData("SLURM_CONF")]
    [InlineData("PATH")]
    [InlineData("PYTHONPATH")]
    public void WhatOnlyAffectsTheJobsOwnProcesses_MayBeSet(string name) => EnvironmentPolicy.ReservedBecause(name).Should().BeNull();

    [Theory]
    [InlineData("CONDUCTOR_JOB_ID", "set by Conductor")]
    [InlineData("SLURM_JOB_ID", "overwritten")]
    [InlineData("SLURM_CPUS_ON_NODE", "overwritten")]
    [InlineData("__CJ_ENV_LD_PRELOAD", "wrapper")]
    public void WhatWouldMisleadTheJob_IsRefusedWithAReason(string name, string reason) =>
        EnvironmentPolicy.ReservedBecause(name).Should().Contain(reason);

    [Theory]
    [InlineData("LD_PRELOAD")]
    [InlineData("BASH_ENV")]
    [InlineData("SHELLOPTS")]
    [InlineData("GLIBC_TUNABLES")]
    public void StartUpVariables_AreHeldBackUntilTheScript(string name) => EnvironmentPolicy.IsHeldBack(name).Should().BeTrue();
}
