using System.Globalization;
using System.Net;
using System.Text;

namespace Drover.Node.Tests.Support;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every line
/// must be a comment or <c>name{label="value",...} value</c>, or parsing fails naming the line.
/// </summary>
public sealed class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
    {
        public override string ToString() => $"{Name}{{{string.Join(",", Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} {Value}";
    }

    private PrometheusText(IReadOnlyDictionary<string, string> types, IReadOnlyList<Sample> samples, string text)
    {
        Types = types;
        Samples = samples;
        Text = text;
    }

    /// <summary>Metric family name to its <c># TYPE</c> (counter, gauge, histogram, ...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }
    public IReadOnlyList<Sample> Samples { get; }
    public string Text { get; }

    public static async Task<PrometheusText> ScrapeAsync(IPEndPoint admin)
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://{admin}/metrics");
        response.EnsureSuccessStatusCode();
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (contentType != "text/plain") throw new FormatException($"/metrics answered {contentType}, not text/plain");
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>();
        var samples = new List<Sample>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (parts.Length != 4) throw new FormatException($"line {lineNumber}: bad TYPE line '{line}'");
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            samples.Add(ParseSample(line, lineNumber));
        }
        return new PrometheusText(types, samples, text);
    }

    private static Sample ParseSample(string line, int lineNumber)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':')) i++;
        if (i == 0) throw new FormatException($"line {lineNumber}: no metric name in '{line}'");
        var name = line[..i];
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (line[i] != '=') i++;
                var key = line[start..i];
                if (line[++i] != '"') throw new FormatException($"line {lineNumber}: label {key} is not quoted");
                i++;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else value.Append(line[i]);
                    i++;
                }
                i++;
                labels[key] = value.ToString();
                if (line[i] == ',') i++;
            }
            i++;
        }
        if (i >= line.Length || line[i] != ' ') throw new FormatException($"line {lineNumber}: no value in '{line}'");
        var valueText = line[(i + 1)..].Split(' ')[0];
        var number = valueText switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, number);
    }

    /// <summary>Every sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public IEnumerable<Sample> All(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    /// <summary>The one sample of <paramref name="name"/> with these labels; fails listing what there is.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = All(name, labels).ToList();
        if (matches.Count == 1) return matches[0].Value;
        var known = string.Join("\n  ", Samples.Where(s => s.Name == name));
        throw new InvalidOperationException(
            $"{matches.Count} samples of {name} with {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}; there are:\n  {(known.Length == 0 ? "none" : known)}");
    }
}
