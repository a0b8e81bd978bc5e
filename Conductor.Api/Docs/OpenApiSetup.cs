using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Conductor.Api.Docs;

/// <summary>
/// The published contract: the OpenAPI document at <c>/openapi/v1.json</c> (generated from the
/// mapped endpoints, their typed results and the descriptions in <see cref="ApiRoutes"/> and
/// <see cref="WireModels"/>) and Scalar's interactive reference at <c>/docs</c>. Both are open
/// (no token): they describe the API, not its jobs.
/// </summary>
internal static class OpenApiSetup
{
    public const string DocumentPath = "/openapi/v1.json";

    public static IServiceCollection AddConductorOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            o.CreateSchemaReferenceId = SchemaId;
            o.AddSchemaTransformer((schema, _, _) =>
            {
                NumbersAsNumbers(schema);
                return Task.CompletedTask;
            });
            o.AddDocumentTransformer(Describe);
        });

    /// <summary>Nested types share short names (every endpoint has its Response): name them after their endpoint.</summary>
    private static string? SchemaId(System.Text.Json.Serialization.Metadata.JsonTypeInfo type) =>
        type.Type.DeclaringType is { } outer && OpenApiOptions.CreateDefaultSchemaReferenceId(type) is { } id
            ? outer.Name.Replace("Endpoint", "", StringComparison.Ordinal) + id
            : OpenApiOptions.CreateDefaultSchemaReferenceId(type);

    /// <summary>
    /// The web defaults read numbers from strings too, which the generator shows as integer|string
    /// with a pattern; the API writes numbers, and that is what a client should send.
    /// </summary>
    private static void NumbersAsNumbers(OpenApiSchema schema)
    {
        if (schema.Type is not { } type || !type.HasFlag(JsonSchemaType.String)) return;
        if (!type.HasFlag(JsonSchemaType.Integer) && !type.HasFlag(JsonSchemaType.Number)) return;
        schema.Type = type & ~JsonSchemaType.String;
        schema.Pattern = null;
    }

    private static Task Describe(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Conductor API",
            Version = "v1",
            Description = """
                A batch job conductor, wire-compatible with SCNS-Conductor: its clients work unchanged
                (POST /jobs/submit, GET /jobs/query/{id}, POST /jobs/cancel/{id}, GET /dashboard, GET /).
                JSON is snake_case. Errors are RFC 7807 problem+json: 'detail' carries the human text,
                'field' names the first bad field and 'errors' lists every one by field.

                Authentication: once any API token exists, every request needs 'Authorization: Bearer <token>'
                (create one with 'Conductor.Api token create --account NAME'), except GET /, /health, /metrics,
                /openapi, /docs and /ui (the web console's files). Without tokens, a loopback-only API serves everyone as the admin account "default".
                A token's account sees and changes only its own jobs; admin tokens see all and manage /scheduled-jobs.
                """,
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "An API token from 'Conductor.Api token create'.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
        return Task.CompletedTask;
    }

    public static WebApplication MapConductorDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Conductor API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
