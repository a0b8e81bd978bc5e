using Conductor.Core.Nodes;
using Conductor.Worker.Node;
using Conductor.Worker.Processes.Cgroups;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class DeviceDetectionTests
{
    // nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader on a mixed node.
    private const string Smi = """
        0, GPU-5d1f0a7e-6f2b-3c41-9a1e-0c6a2f8b9d10, NVIDIA A100-SXM4-40GB, 40960 MiB
        1, GPU-8e2c1b9f-7a3d-4e52-8b2f-1d7b3e9cae21, NVIDIA A100-SXM4-40GB, 40960 MiB
        2, GPU-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d, Tesla V100-PCIE-16GB, 16384 MiB

        """;

    [Fact]
    public void NvidiaSmiLines_BecomeDevicesByIndex_WithShortLowerCaseModels()
    {
        var devices = DeviceDetection.ParseNvidiaSmi(Smi, "/nonexistent-dev");

        devices.Select(d => d.Id).Should().Equal(0, 1, 2);
        devices.Select(d => d.Model).Should().Equal("a100-sxm4-40gb", "a100-sxm4-40gb", "v100-pcie-16gb");
        devices[0].Uuid.Should().Be("GPU-5d1f0a7e-6f2b-3c41-9a1e-0c6a2f8b9d10");
        devices.Should().OnlyContain(d => d.Vendor == NodeDevice.Nvidia && d.Path == null, "no /dev/nvidiaN exists under the given dev dir");
    }

    [Fact]
    public void NvidiaSmiNoise_IsSkipped()
    {
        DeviceDetection.ParseNvidiaSmi("No devices were found\n", "/x").Should().BeEmpty();
        DeviceDetection.ParseNvidiaSmi("index, uuid, name, memory.total [MiB]\n0, GPU-1, NVIDIA H100 80GB HBM3, 81559 MiB", "/x")
            .Should().ContainSingle().Which.Model.Should().Be("h100-80gb-hbm3");
    }

    [Fact]
    public void ACountOfConfiguredDevices_NumbersThemFromZero()
    {
        var devices = DeviceDetection.ParseConfigured("2", "/nonexistent-dev");

        devices.Should().Equal(new NodeDevice(0, "gpu"), new NodeDevice(1, "gpu"));
        DeviceDetection.ParseConfigured("none").Should().BeEmpty();
        DeviceDetection.ParseConfigured("0").Should().BeEmpty();
    }

    [Fact]
    public void AConfiguredList_GivesIdsModelsVendorsAndPaths()
    {
        var devices = DeviceDetection.ParseConfigured("0:a100, 3:mi250:amd:/dev/dri/renderD128,5::nvidia:/tmp/gpu5", "/nonexistent-dev");

        devices.Should().Equal(
            new NodeDevice(0, "a100"),
            new NodeDevice(3, "mi250", NodeDevice.Amd, "/dev/dri/renderD128"),
            new NodeDevice(5, "gpu", NodeDevice.Nvidia, "/tmp/gpu5"));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("0:a100,0:a100")]
    [InlineData("0:a b")]
    [InlineData("0:a100:intel")]
    [InlineData("0:a100:nvidia:relative/path")]
    [InlineData("65")]
    public void ABadConfiguredList_StopsTheWorkerWithAMessage(string text)
    {
        var act = () => DeviceDetection.ParseConfigured(text);

        act.Should().Throw<FormatException>().WithMessage("*Conductor:Worker:Gpus*");
    }

    [Fact]
    public void ACharacterDeviceNode_BecomesTheCgroupRuleThatDeniesIt_AndAnythingElseNone()
    {
        DeviceRules.Rule("/dev/null").Should().Be("c 1:3 rwm");
        DeviceRules.Rule("/tmp").Should().BeNull("a directory is no device");
        DeviceRules.Rule("/nonexistent/nvidia0").Should().BeNull();
    }
}
