using Conductor.Core.Jobs;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class GresRequestTests
{
    [Theory]
    [InlineData("gpu", 1, null)]
    [InlineData("gpu:2", 2, null)]
    [InlineData("GPU:2", 2, null)]
    [InlineData("gpu:a100:1", 1, "a100")]
    [InlineData("gpu:a100", 1, "a100")]
    [InlineData(" gpu:tesla-v100:4 ", 4, "tesla-v100")]
    public void SlurmGresStrings_AreRead(string text, int count, string? model)
    {
        GresRequest.TryParseGres(text, out var request, out var error).Should().BeTrue(error);
        request.Should().Be(new GresRequest(count, model));
    }

    [Theory]
    [InlineData("", "blank")]
    [InlineData("mps:100", "only the 'gpu' resource")]
    [InlineData("gpu:0", "1 to 64")]
    [InlineData("gpu:65", "1 to 64")]
    [InlineData("gpu:-1", "count")]
    [InlineData("gpu:1,mps:2", "more than one")]
    [InlineData("gpu:a b:1", "model")]
    [InlineData("gpu:a100:1:2", "too many")]
    [InlineData("gpu:a100:x", "count")]
    public void BadGresStrings_AreRefusedWithAReason(string text, string reason)
    {
        GresRequest.TryParseGres(text, out _, out var error).Should().BeFalse();
        error.Should().Contain(reason);
    }

    [Theory]
    [InlineData("2", 2, null)]
    [InlineData("0", 0, null)]
    [InlineData("a100:2", 2, "a100")]
    public void TheGpusField_IsACountOrModelAndCount(string text, int count, string? model)
    {
        GresRequest.TryParseGpus(text, out var request, out var error).Should().BeTrue(error);
        request.Should().Be(new GresRequest(count, model));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("a100:0")]
    [InlineData("a:b:c")]
    [InlineData("99999")]
    public void BadGpusValues_AreRefused(string text) => GresRequest.TryParseGpus(text, out _, out _).Should().BeFalse();

    [Fact]
    public void AModel_AcceptsItsVariants_ButNotAnotherModelSharingItsPrefix()
    {
        var a100 = new GresRequest(1, "a100");

        a100.Accepts("a100").Should().BeTrue();
        a100.Accepts("A100-SXM4-40GB").Should().BeTrue();
        a100.Accepts("a1000").Should().BeFalse();
        a100.Accepts(null).Should().BeFalse();
        new GresRequest(1, null).Accepts("anything").Should().BeTrue();
        a100.ToGres().Should().Be("gpu:a100:1");
        GresRequest.None.ToGres().Should().BeNull();
    }
}
