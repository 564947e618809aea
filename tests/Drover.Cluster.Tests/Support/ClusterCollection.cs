namespace Drover.Cluster.Tests.Support;

/// <summary>Cluster tests run one after another: several three-node clusters at once on two cores would distort every timing they print.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "clusters";
}
