// The `drover` command-line client. It talks to a node's command host (default 127.0.0.1:9110),
// which does not exist yet: until it does, this program says so instead of pretending.
Console.Error.WriteLine("drover: the command host and its palettes (cluster, cluster-sharding, lb, ...) are not built yet.");
Console.Error.WriteLine("        Run a node with: dotnet run --project src/Drover.Node");
return 64; // EX_USAGE
