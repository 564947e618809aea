using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Drover.Bench.Micro;

/// <summary>
/// Columns every class shows on top of the defaults: Median and Min. On a shared machine an
/// iteration that lost the CPU drags the mean up; the minimum is the closest to the uncontended
/// cost. Adds no job, so the job comes from the command line (run.sh: a short one).
/// </summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig() => AddColumn(StatisticColumn.Median, StatisticColumn.Min);
}
