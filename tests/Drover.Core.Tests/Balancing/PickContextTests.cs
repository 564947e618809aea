using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class PickContextTests
{
    [Fact]
    public void Exclude_SetsOnlyThatCandidate_AndLeavesTheOriginalUnchanged()
    {
        var original = new PickContext(123);
        var excluded = original.Exclude(3).Exclude(63);

        Assert.Equal(123UL, excluded.Hash);
        Assert.True(excluded.IsExcluded(3));
        Assert.True(excluded.IsExcluded(63));
        Assert.False(excluded.IsExcluded(0));
        Assert.False(excluded.IsExcluded(4));
        Assert.False(original.IsExcluded(3));
        Assert.Equal(0UL, PickContext.None.Excluded);
    }

    [Fact]
    public void CandidatesBeyond64_CannotBeExcluded()
    {
        var context = PickContext.None.Exclude(64).Exclude(100);

        Assert.Equal(0UL, context.Excluded);
        Assert.False(context.IsExcluded(64));
    }

    [Fact]
    public void A_negative_index_excludes_nothing()
    {
        // -1 is "not a candidate" (e.g. a draining backend a sticky session is bound to).
        var context = PickContext.None.Exclude(-1);

        Assert.Equal(0UL, context.Excluded);
        Assert.False(context.IsExcluded(63));
        Assert.False(context.IsExcluded(-1));
    }
}
