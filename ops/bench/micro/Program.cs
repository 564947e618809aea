using BenchmarkDotNet.Running;

namespace Drover.Bench.Micro;

public static class Program
{
    // dotnet run -c Release -- --filter '*' --job short   (or ops/bench/micro/run.sh)
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
