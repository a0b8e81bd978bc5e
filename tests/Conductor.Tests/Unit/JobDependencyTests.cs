using Conductor.Core.Jobs;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class JobDependencyTests
{
    [Theory]
    [InlineData("afterok:1", "afterok:1")]
    [InlineData("afterok:1:2", "afterok:1 afterok:2")]
    [InlineData("afterok:1,afternotok:2,afterany:3:4", "afterok:1 afternotok:2 afterany:3 afterany:4")]
    [InlineData("AfterOK:7", "afterok:7")]
    [InlineData("afterok:5:5", "afterok:5")]
    public void ValidDependencies_ParseIntoOneEdgePerJob(string text, string expected)
    {
        JobDependency.TryParse(text, out var edges, out var error).Should().BeTrue(error);

        string.Join(' ', edges.Select(e => $"{e.Kind}:{e.JobId}")).Should().Be(expected);
    }

    [Theory]
    [InlineData("after:1")]
    [InlineData("singleton")]
    [InlineData("afterok")]
    [InlineData("afterok:")]
    [InlineData("afterok:0")]
    [InlineData("afterok:-3")]
    [InlineData("afterok:1?afterok:2")]
    [InlineData("")]
    public void InvalidDependencies_AreRefusedWithAReason(string text)
    {
        JobDependency.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().NotBeEmpty("the API answers the reason to the client");
    }
}
