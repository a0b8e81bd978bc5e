namespace Conductor.Tests.Infrastructure;

/// <summary>Waits on a condition with a deadline; never a bare sleep.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {because}. Last value: {Describe(last)}");
            await Task.Delay(50);
            last = await probe();
        }
        return last;
    }

    public static Task Until(Func<bool> condition, TimeSpan timeout, string because) =>
        Until(() => Task.FromResult(condition()), ok => ok, timeout, because);

    private static string Describe<T>(T value) => value switch
    {
        System.Text.Json.Nodes.JsonNode n => n.ToJsonString(),
        null => "null",
        _ => value.ToString() ?? "",
    };
}
