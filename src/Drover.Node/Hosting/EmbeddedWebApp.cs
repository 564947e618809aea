using Microsoft.AspNetCore.Builder;

namespace Drover.Node.Hosting;

/// <summary>
/// The builder for every Kestrel server inside a node (HTTP listeners, the admin endpoint, demo
/// backends). They are configured by the drover section alone, so ASP.NET's own configuration
/// sources are cleared, and before that the default appsettings.json source is told not to watch
/// for changes: its file watcher covers the content root (the working directory) and every
/// directory below it, so a node started from a busy tree (a repository, a directory where a
/// load generator writes its log) spent CPU on each file write there, and an inotify watch on
/// each subdirectory.
/// </summary>
internal static class EmbeddedWebApp
{
    private static readonly string[] NoConfigWatch = ["--hostBuilder:reloadConfigOnChange=false"];

    public static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = NoConfigWatch });
        builder.Configuration.Sources.Clear();
        return builder;
    }
}
