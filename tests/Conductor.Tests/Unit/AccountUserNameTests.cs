using System.Text.RegularExpressions;
using Conductor.Core.Accounts;

namespace Conductor.Tests.Unit;

/// <summary>The Unix user name derived from an account, and the configured uid range.</summary>
[Trait("Category", "Unit")]
public sealed class AccountUserNameTests
{
    [Theory]
    [InlineData("alice", "cj-alice")]
    [InlineData("bob_2", "cj-bob_2")]
    [InlineData("team-a", "cj-team-a")]
    [InlineData("a2345678901234567890123456789", "cj-a2345678901234567890123456789")]
    public void APortableShortAccount_KeepsItsNameAfterThePrefix(string account, string expected) =>
        AccountUserName.For(account).Should().Be(expected);

    [Theory]
    [InlineData("Alice")]
    [InlineData("a.lice")]
    [InlineData("alice@example.org")]
    [InlineData("a23456789012345678901234567890")]
    [InlineData("very-long-account-name-that-goes-on-and-on-well-past-thirty-two-characters")]
    public void AnAccountThatSanitisingChangesOrThatIsTooLong_GetsAShortHash_WithinUseraddsRules(string account)
    {
        var name = AccountUserName.For(account);

        name.Length.Should().BeLessThanOrEqualTo(32, "useradd refuses longer names");
        Regex.IsMatch(name, "^cj-[a-z0-9_-]*-[0-9a-f]{8}$").Should().BeTrue($"{name} is portable and ends with the hash");
        AccountUserName.For(account).Should().Be(name, "the same account always gets the same name");
    }

    [Fact]
    public void AccountsThatSanitiseAlike_GetDifferentNames()
    {
        string[] accounts = ["alice", "Alice", "ALICE", "a.lice", "a@lice", "a_lice", "a-lice"];

        accounts.Select(AccountUserName.For).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void TwoLongAccountsWithTheSameBeginning_GetDifferentNames()
    {
        var stem = new string('x', 40);

        AccountUserName.For(stem + "1").Should().NotBe(AccountUserName.For(stem + "2"));
    }

    [Theory]
    [InlineData("200000-299999", 200000, 299999)]
    [InlineData(" 5000 - 5000 ", 5000, 5000)]
    [InlineData("1000-2147483646", 1000, 2147483646)]
    public void AValidUidRange_Parses(string text, int first, int last)
    {
        var range = UidRange.Parse(text);

        range.Should().Be(new UidRange(first, last));
        range.Contains(first).Should().BeTrue();
        range.Contains(last).Should().BeTrue();
        range.Contains(first - 1L).Should().BeFalse();
        range.Contains(last + 1L).Should().BeFalse();
    }

    [Theory]
    [InlineData("", "not of the form")]
    [InlineData("200000", "not of the form")]
    [InlineData("200000-", "not of the form")]
    [InlineData("-5-10", "not of the form")]
    [InlineData("a-b", "not of the form")]
    [InlineData("0-100000", "below 1000")]
    [InlineData("999-5000", "below 1000")]
    [InlineData("300000-200000", "ends before it starts")]
    [InlineData("1000-2147483647", "must end below")]
    [InlineData("1000-99999999999", "not of the form")]
    public void AnInvalidUidRange_IsRefused_SayingWhy(string text, string why) =>
        FluentActions.Invoking(() => UidRange.Parse(text)).Should().Throw<FormatException>().WithMessage($"*{why}*");

    [Fact]
    public void TheDefaultUidRange_IsValid() =>
        UidRange.Parse(UidRange.Default).Should().Be(new UidRange(200000, 299999));
}
