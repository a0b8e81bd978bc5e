using Conductor.Core.Jobs;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class JobArrayParsingTests
{
    [Theory]
    [InlineData("0-3", "0,1,2,3", null)]
    [InlineData("0-99%10", "0..99", 10)]
    [InlineData("1,3,5", "1,3,5", null)]
    [InlineData("0-15:4", "0,4,8,12", null)]
    [InlineData("1-3,7,2%1", "1,2,3,7", 1)]
    [InlineData("42", "42", null)]
    public void SlurmArraySpecs_ExpandToSortedDistinctTaskIds(string text, string expected, int? maxRunning)
    {
        JobArray.TryParse(text, 10_000, out var array, out var error).Should().BeTrue(error);

        var ids = string.Join(',', array!.TaskIds);
        (expected == "0..99" ? ids == string.Join(',', Enumerable.Range(0, 100)) : ids == expected).Should().BeTrue($"'{text}' gave {ids}");
        array.MaxRunning.Should().Be(maxRunning);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5-1")]
    [InlineData("0-9%0")]
    [InlineData("0-9%")]
    [InlineData("0-9%2%3")]
    [InlineData("-1")]
    [InlineData("0-15:0")]
    [InlineData("x")]
    [InlineData("0-10001")]
    public void InvalidArraySpecs_AreRefused(string text)
    {
        JobArray.TryParse(text, 10_000, out _, out var error).Should().BeFalse();

        error.Should().NotBeEmpty();
    }
}
