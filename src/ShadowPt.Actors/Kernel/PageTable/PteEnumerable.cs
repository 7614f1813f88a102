
namespace ShadowPt.Kernel;

/// <summary>The non-none PTEs of a range, for <c>foreach</c> without allocation (walk_page_range in spirit).</summary>
public readonly struct PteEnumerable
{
    private readonly PageTable _table;
    private readonly AddrRange _range;

    internal PteEnumerable(PageTable table, AddrRange range)
    {
        _table = table;
        _range = range;
    }

    public PteEnumerator GetEnumerator() => new(_table, _range);
}

/// <summary>Iterates PTE pages that exist in the range, skipping absent tables a level at a time.</summary>
public struct PteEnumerator
{
    private readonly PageTable _table;
    private readonly ulong _end;
    private readonly long _stepsMax;
    private ulong _addr;
    private ulong _tableEnd;
    private PtePage? _page;
    private long _steps;

    internal PteEnumerator(PageTable table, AddrRange range)
    {
        _table = table;
        _addr = range.Start.Value;
        _end = range.End.Value;
        _stepsMax = (long)range.Pages + 2;
        _tableEnd = 0;
        _page = null;
        _steps = 0;
        Current = default;
    }

    public PteSlot Current { get; private set; }

    public bool MoveNext()
    {
        while (true)
        {
            Bug.On(++_steps > _stepsMax, "PteEnumerator: walk did not advance");
            if (_page is null || _addr >= _tableEnd)
            {
                _page = _addr < _end ? _table.FindPtePage(ref _addr, _end) : null;
                if (_page is null)
                {
                    return false;
                }

                _tableEnd = Math.Min(PageTable.NextBoundary(_addr, PageGeometry.PmdSize), _end);
            }

            if (NextInPage())
            {
                return true;
            }
        }
    }

    private bool NextInPage()
    {
        PtePage page = _page!;
        while (_addr < _tableEnd)
        {
            ulong address = _addr;
            _addr += PageGeometry.PageSize;
            var pte = new Pte(page.Get(PageGeometry.PteIndex(address)));
            if (!pte.IsNone)
            {
                Current = new PteSlot(new VirtAddr(address), pte, new PtePageId(page.Pfn));
                return true;
            }
        }

        return false;
    }
}
