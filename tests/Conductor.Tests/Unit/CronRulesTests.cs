using Conductor.Core.Schedules;

namespace Conductor.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class CronRulesTests
{
    private static readonly DateTime Due = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(0.3, "fire_once", true, 2.0)]    // on time: fire, next is the following tick
    [InlineData(0.3, "skip", true, 2.0)]         // on time, skip only concerns missed times
    [InlineData(60.5, "fire_once", true, 62.0)]  // down for a minute: one job for all missed times
    [InlineData(60.5, "skip", false, 62.0)]      // down for a minute: missed times are dropped
    public void Advance_FiresOnTimeAndAppliesTheMisfirePolicyAfterDowntime(double lateSeconds, string misfire, bool fires, double nextAfterDue)
    {
        CronRules.TryParse("*/2 * * * * *", out var cron, out _).Should().BeTrue();

        var (fireAt, next) = CronRules.Advance(cron!, TimeZoneInfo.Utc, Due, misfire, Due.AddSeconds(lateSeconds));

        (fireAt is not null).Should().Be(fires);
        if (fireAt is not null) fireAt.Should().Be(Due, "the job stands for the fire time that was due");
        next.Should().Be(Due.AddSeconds(nextAfterDue), "later missed times never produce extra jobs");
    }

    [Theory]
    [InlineData("0 30 2 * * *", true)]
    [InlineData("30 2 * * *", true)]
    [InlineData("* * * *", false)]
    [InlineData("0 0 0 0 0 0 0", false)]
    [InlineData("61 * * * * *", false)]
    public void TryParse_AcceptsSixFieldsWithSecondsAndFiveFieldCron(string cron, bool valid)
    {
        CronRules.TryParse(cron, out _, out var error).Should().Be(valid, error);
    }

    [Fact]
    public void Next_InAZoneWithDst_SkipsTheMissingLocalHourAsCronosDoes()
    {
        CronRules.TryParse("0 30 2 * * *", out var cron, out _);
        CronRules.TryZone("Europe/Berlin", out var berlin).Should().BeTrue();

        // 2026-03-29: Berlin jumps from 02:00 to 03:00; 02:30 does not exist that day.
        var next = CronRules.Next(cron!, berlin!, new DateTime(2026, 3, 29, 0, 0, 0, DateTimeKind.Utc));

        next.Should().Be(new DateTime(2026, 3, 29, 1, 0, 0, DateTimeKind.Utc), "Cronos fires a skipped local time at the jump (03:00 CEST)");
    }
}
