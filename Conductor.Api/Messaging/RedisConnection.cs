using StackExchange.Redis;

namespace Conductor.Api.Messaging;

/// <summary>
/// One lazily-connecting multiplexer. <c>AbortOnConnectFail=false</c> makes it keep retrying in
/// the background, so Redis may be down at start and come back later without a restart.
/// </summary>
public sealed class RedisConnection(string configuration) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _mux = new(() =>
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        options.SyncTimeout = 2000;
        options.AsyncTimeout = 2000;
        return ConnectionMultiplexer.Connect(options);
    });

    public ConnectionMultiplexer Multiplexer => _mux.Value;

    public bool IsConnected => _mux.Value.IsConnected;

    public void Dispose()
    {
        if (_mux.IsValueCreated) _mux.Value.Dispose();
    }
}
