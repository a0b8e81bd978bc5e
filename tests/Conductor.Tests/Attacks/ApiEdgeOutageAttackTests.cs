using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Tests.Attacks;

/// <summary>
/// PostgreSQL goes away under a running API process (its connections run through a relay that is
/// then cut, so the port is closed; the shared server is untouched): every endpoint answers 503
/// problem+json with Retry-After, never a bare 500; /health keeps its own 503 body.
/// </summary>
public sealed class ApiEdgeOutageAttackTests(OutageApi api) : IClassFixture<OutageApi>
{
    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "POST", "/jobs/submit", """{"job":{},"script":"true"}""" },
        { "POST", "/jobs/submit", """{"job":{"dependency":"afterok:1"},"script":"true"}""" },
        { "POST", "/jobs/submit/bulk", """[{"job":{},"script":"true"}]""" },
        { "GET", "/jobs/query/{id}", null }, { "GET", "/jobs", null }, { "GET", "/jobs/{id}/events", null },
        { "GET", "/jobs/{id}/logs", null }, { "GET", "/jobs/{id}/logs?follow=true", null },
        { "POST", "/jobs/cancel/{id}", null }, { "POST", "/jobs/resubmit/{id}", null },
        { "GET", "/nodes", null }, { "GET", "/stats", null }, { "GET", "/dashboard", null },
        { "GET", "/scheduled-jobs", null }, { "GET", "/scheduled-jobs/{schedule}", null },
        { "POST", "/scheduled-jobs", AnonymousApi.Schedule }, { "PATCH", "/scheduled-jobs/{schedule}", """{"status":0}""" },
        { "DELETE", "/scheduled-jobs/{schedule}", null },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithPostgresDown_Answers503ProblemWithRetryAfter(string method, string path, string? body)
    {
        var message = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", api.Job.ToString()).Replace("{schedule}", api.Schedule.ToString()));
        if (body is not null) message.Content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await api.Http.SendAsync(message);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, $"{method} {path} with PostgreSQL down: {text}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        response.Headers.RetryAfter?.Delta.Should().Be(TimeSpan.FromSeconds(5), "clients are told when to come back");
        JsonNode.Parse(text)!["title"]!.GetValue<string>().Should().Contain("database");
    }

    /// <summary>A scrape that fails would hide the API's own counters too; the gauge says what is wrong.</summary>
    [Fact]
    public async Task Metrics_WithPostgresDown_StillServesTheScrape_WithDatabaseUpZero()
    {
        var response = await api.Http.GetAsync("/metrics");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("conductor_database_up 0");
    }

    [Fact]
    public async Task Health_WithPostgresDown_KeepsItsOwn503Body()
    {
        var response = await api.Http.GetAsync("/health");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        body["status"]!.GetValue<string>().Should().Be("unhealthy");
        body["database"]!.GetValue<string>().Should().Be("down");
    }
}

/// <summary>The real API process reaching PostgreSQL through a relay, cut once a job and a schedule exist.</summary>
public sealed class OutageApi : IAsyncLifetime
{
    private ApiProcess _process = null!;
    private TcpRelay _relay = null!;
    private TestDatabase _database = null!;
    public HttpClient Http { get; private set; } = null!;
    public long Job { get; private set; }
    public long Schedule { get; private set; }

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var direct = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _relay = new TcpRelay(direct.Host!, direct.Port);
        var relayed = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Host = "127.0.0.1", Port = _relay.Port, Timeout = 3 };
        (_process, var http, _) = await RealApi.StartAsync(relayed.ConnectionString);
        Http = http;
        Job = await RealApi.SubmitAsync(Http);
        var created = await Http.PostAsync("/scheduled-jobs", new StringContent(AnonymousApi.Schedule, Encoding.UTF8, "application/json"));
        Schedule = long.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
        _relay.Cut();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        _relay?.Cut();
        if (_database is not null) await _database.DisposeAsync();
    }
}

/// <summary>A loopback TCP relay to one server; <see cref="Cut"/> closes its port and every connection through it.</summary>
internal sealed class TcpRelay
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<TcpClient> _open = [];
    private readonly CancellationTokenSource _cut = new();

    public TcpRelay(string host, int port)
    {
        _listener.Start();
        _ = AcceptAsync(host, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(string host, int port)
    {
        try
        {
            while (!_cut.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_cut.Token);
                var server = new TcpClient();
                _open.Add(client);
                _open.Add(server);
                await server.ConnectAsync(host, port, _cut.Token);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut.
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _cut.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // One side went away or the relay was cut.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public void Cut()
    {
        _cut.Cancel();
        _listener.Stop();
        foreach (var connection in _open) connection.Dispose();
    }
}
