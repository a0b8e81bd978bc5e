using Conductor.Core.Storage;

namespace Conductor.Api.Auth;

public static class AuthSetup
{
    public static IServiceCollection AddConductorAuth(this IServiceCollection services, IConfiguration config, string urls)
    {
        services.Configure<AuthOptions>(config.GetSection("Conductor:Api"));
        // Conductor__Api__AllowedOrigins="https://a,https://b" is a value, not a list, to the binder.
        services.PostConfigure<AuthOptions>(o =>
        {
            o.AllowedOrigins = SplitList(o.AllowedOrigins, config["Conductor:Api:AllowedOrigins"]);
            o.AllowedHosts = SplitList(o.AllowedHosts, config["Conductor:Api:AllowedHosts"]);
        });
        services.AddSingleton(Binding.From(config, urls));
        services.AddSingleton<TokenCache>();
        services.AddSingleton<JobAccess>();
        return services;
    }

    private static string[] SplitList(string[] bound, string? single) =>
        [.. bound.Append(single ?? "").SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];

    /// <summary>
    /// The start-up rule: with no token, serve only on loopback (and say loudly that
    /// authentication is off); on any other address refuse to start unless AllowAnonymous.
    /// False means "do not start"; the reason has been logged and written to stderr.
    /// </summary>
    public static async Task<bool> CheckAuthenticationAsync(this WebApplication app)
    {
        var binding = app.Services.GetRequiredService<Binding>();
        var anyToken = await app.Services.GetRequiredService<TokenStore>().AnyActiveAsync(CancellationToken.None);
        if (anyToken)
        {
            app.Logger.LogInformation("Authentication is on: every request needs a bearer token except {OpenEndpoints}",
                string.Join(", ", app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.OpenEndpoints));
            return true;
        }
        var urls = string.Join(", ", binding.Urls);
        if (binding.IsLoopbackOnly)
        {
            app.Logger.LogWarning("Authentication is OFF: no API token exists, so anyone on this machine can submit jobs to {Urls}. " +
                                  "Create a token with 'dotnet Conductor.Api.dll token create --account <name> --admin'", urls);
            return true;
        }
        if (app.Configuration.GetValue<bool>("Conductor:Api:AllowAnonymous"))
        {
            app.Logger.LogWarning("Authentication is OFF on {Urls} (Conductor:Api:AllowAnonymous=true): anyone who reaches this " +
                                  "address can run code on the workers", urls);
            return true;
        }
        var message = $"Refusing to start: no API token exists and the API would listen on {urls}, beyond loopback, where anyone " +
                      "could run code on the workers. Create a token first (dotnet Conductor.Api.dll token create --account <name> --admin), " +
                      "listen on 127.0.0.1, or set Conductor:Api:AllowAnonymous=true for a trusted network.";
        app.Logger.LogCritical("{Message}", message);
        await Console.Error.WriteLineAsync(message);
        return false;
    }
}
