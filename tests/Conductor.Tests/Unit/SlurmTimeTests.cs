using Conductor.Core.Jobs;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class SlurmTimeTests
{
    [Theory]
    [InlineData("30", 30 * 60)]
    [InlineData("5:00", 5 * 60)]
    [InlineData("0:02", 2)]
    [InlineData("1:30:00", 90 * 60)]
    [InlineData("2-12", (2 * 24 + 12) * 3600)]
    [InlineData("2-12:30", (2 * 24 + 12) * 3600 + 30 * 60)]
    [InlineData("2-12:30:15", (2 * 24 + 12) * 3600 + 30 * 60 + 15)]
    [InlineData(" 45 ", 45 * 60)]
    public void EverySlurmFormat_ParsesToSeconds(string text, int expected)
    {
        SlurmTime.TryParseSeconds(text, out var seconds).Should().BeTrue();
        seconds.Should().Be(expected);
    }

    [Theory]
    [InlineData("UNLIMITED")]
    [InlineData("infinite")]
    [InlineData("0")]
    public void NoLimitSpellings_ParseToNull(string text)
    {
        SlurmTime.TryParseSeconds(text, out var seconds).Should().BeTrue();
        seconds.Should().BeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1:2:3:4")]
    [InlineData("1-2-3")]
    [InlineData("1.5")]
    [InlineData("1:")]
    [InlineData("-1")]
    [InlineData("99999999999")]
    [InlineData("400-00")]
    public void Garbage_IsRejected(string text) => SlurmTime.TryParseSeconds(text, out _).Should().BeFalse();

    [Theory]
    [InlineData(0, "0-00:00:00")]
    [InlineData(61, "0-00:01:01")]
    [InlineData(90061, "1-01:01:01")]
    public void Elapsed_IsFormattedAsSlurmDoes(int seconds, string expected) =>
        SlurmTime.FormatElapsed(TimeSpan.FromSeconds(seconds)).Should().Be(expected);
}

[Trait("Category", "Unit")]
public sealed class MemorySizeTests
{
    [Theory]
    [InlineData("512M", 512)]
    [InlineData("512", 512)]
    [InlineData("16G", 16384)]
    [InlineData("16g", 16384)]
    [InlineData("1T", 1024 * 1024)]
    [InlineData("2048K", 2)]
    public void Sizes_ParseToMegabytes(string text, long expected)
    {
        MemorySize.TryParseMb(text, out var mb).Should().BeTrue();
        mb.Should().Be(expected);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("16Q")]
    [InlineData("16GB")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("")]
    [InlineData("1.5G")]
    public void Garbage_IsRejected(string text) => MemorySize.TryParseMb(text, out _).Should().BeFalse();
}
