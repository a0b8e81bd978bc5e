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

namespace Conductor.Tests.Unit;

/// <summary>The rules behind the request guard, case by case.</summary>
[Trait("Category", "Unit")]
public sealed class RequestOriginRulesTests
{
    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData("application/merge-patch+json", true)]
    [InlineData("text/plain", false)]
    [InlineData("text/plain; a=application/json", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData("multipart/form-data; boundary=x", false)]
    [InlineData("application/jsonp", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyJsonBodies_AreJson(string? contentType, bool json) =>
        Conductor.Api.Http.RequestOrigins.IsJson(contentType).Should().Be(json, contentType);

    [Theory]
    [InlineData("localhost:8000", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("127.0.0.1:8000", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("[::1]:8000", true)]
    [InlineData("localhost.evil.example", false)]
    [InlineData("evil.example", false)]
    [InlineData("0.0.0.0:8000", false)]
    [InlineData("[::ffff:7f00:1]:8000", true)]
    [InlineData("10.0.0.1", false)]
    public void LoopbackHost_IsOnlyALoopbackNameOrAddress(string host, bool loopback) =>
        Conductor.Api.Http.RequestOrigins.IsLoopbackHost(new Microsoft.AspNetCore.Http.HostString(host)).Should().Be(loopback, host);

    [Theory]
    [InlineData("http://127.0.0.1:8000", true)]
    [InlineData("HTTP://127.0.0.1:8000", true)]
    [InlineData("https://dash.example", true)]
    [InlineData("https://dash.example:443", true)]
    [InlineData("http://dash.example", false)]
    [InlineData("http://127.0.0.1", false)]
    [InlineData("http://127.0.0.1:8000/path", false)]
    [InlineData("http://user@127.0.0.1:8000", false)]
    [InlineData("null", false)]
    [InlineData("garbage", false)]
    public void Origin_MustBeTheApisOwnOrAllowed(string origin, bool same)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new Microsoft.AspNetCore.Http.HostString("127.0.0.1:8000");

        Conductor.Api.Http.RequestOrigins.IsSameOrAllowed(origin, context.Request, ["https://dash.example"]).Should().Be(same, origin);
    }
}
