using System.Collections.Immutable;

namespace ShadowPt.Kernel.Conformance;

/// <summary>One process's view of one labelled region: its VMAs by start, and each observed page by offset.</summary>
public sealed record LabelObservation(string Label, ImmutableArray<VmaFact> Vmas, ImmutableArray<PageFact> Pages)
{
    /// <summary>The page at <paramref name="pageOffset"/>; throws when it was not observed.</summary>
    public PageFact Page(long pageOffset) =>
        Pages.FirstOrDefault(p => p.PageOffset == pageOffset)
        ?? throw new ArgumentOutOfRangeException(nameof(pageOffset), pageOffset, $"page {pageOffset} of '{Label}' was not observed");
}
