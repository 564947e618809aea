using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Drover.Node.Tests.Deployment;

/// <summary>
/// Reads deployment files (compose, Kubernetes) into plain maps, lists and strings, with YAML merge
/// keys (<c>&lt;&lt;: *anchor</c>) resolved as Docker Compose does; navigation helpers fail the test
/// with the path that was missing.
/// </summary>
public static class Yaml
{
    public static Dictionary<object, object> Load(string text) => LoadAll(text).Single();

    /// <summary>Every document of a multi-document file (<c>---</c> separated), empty ones skipped.</summary>
    public static List<Dictionary<object, object>> LoadAll(string text)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(text)));
        var documents = new List<Dictionary<object, object>>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            if (deserializer.Deserialize<Dictionary<object, object>?>(parser) is { } document) documents.Add(document);
        }
        return documents;
    }

    public static object? Find(object? node, string path)
    {
        foreach (var key in path.Split('.'))
        {
            switch (node)
            {
                case Dictionary<object, object> map when map.TryGetValue(key, out var next):
                    node = next;
                    break;
                case List<object> list when int.TryParse(key, out var index) && index < list.Count:
                    node = list[index];
                    break;
                default:
                    return null;
            }
        }
        return node;
    }

    public static Dictionary<object, object> Map(object? node, string path) =>
        Find(node, path) as Dictionary<object, object> ?? throw new Xunit.Sdk.XunitException($"{path}: expected a map");

    public static List<object> List(object? node, string path) =>
        Find(node, path) as List<object> ?? throw new Xunit.Sdk.XunitException($"{path}: expected a list");

    public static string String(object? node, string path) =>
        Find(node, path) as string ?? throw new Xunit.Sdk.XunitException($"{path}: expected a value");

    public static List<string> Strings(object? node, string path) => List(node, path).Select(o => o.ToString()!).ToList();

    public static Dictionary<string, string> StringMap(object? node, string path) =>
        Map(node, path).ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value?.ToString() ?? "");
}
