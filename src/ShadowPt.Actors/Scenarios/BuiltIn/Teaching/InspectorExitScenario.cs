using System.Text;

namespace ShadowPt.Scenarios.BuiltIn.Teaching;

/// <summary>
/// The inspector exiting mid-update of the shadow table, for teaching: the target faults pages in on
/// CPU0 (each fault rewrites shadow entries under the shadow lock, and its munmap runs the notifier),
/// while the inspector on CPU1 opens and starts a table and exits right after shadowpt_start (its ninth
/// operation), without stop or close. Its exit runs the same cleanup as close (tracking off, notifier unregistered and
/// synchronized, its PTEs zapped and TLBs flushed, then the frames freed), interleaved with the
/// target's updates: step it to watch the cleanup wait for a writer holding the shadow lock.
/// </summary>
public static class InspectorExitScenario
{
    public const string Name = "inspector-exit";

    /// <summary>The definition, in the scenario-file format (a built-in: no content hash).</summary>
    private const string Json = """
        {
          "name": "inspector-exit",
          "description": "the inspector exits (no stop, no close) in the middle of the target's faults updating its shadow table: the exit's cleanup interleaves with the updates",
          "seed": 3,
          "machine": { "cpus": 2, "frames": 256 },
          "processes": [
            {
              "name": "target",
              "cpu": 0,
              "placement": { "buf": "0x30000000" },
              "program": [
                { "op": "mmap", "label": "buf", "pages": 8 },
                { "op": "write", "label": "buf", "page": 0, "value": 1 },
                { "op": "write", "label": "buf", "page": 1, "value": 2 },
                { "op": "write", "label": "buf", "page": 2, "value": 3 },
                { "op": "write", "label": "buf", "page": 3, "value": 4 },
                { "op": "write", "label": "buf", "page": 4, "value": 5 },
                { "op": "write", "label": "buf", "page": 5, "value": 6 },
                { "op": "write", "label": "buf", "page": 6, "value": 7 },
                { "op": "write", "label": "buf", "page": 7, "value": 8 },
                { "op": "munmap", "label": "buf", "page": 2, "pages": 4 }
              ]
            }
          ],
          "inspectors": [
            { "name": "inspector", "cpu": 1, "target": "target", "start": "0x30000000", "end": "0x30008000", "period": 1, "ticks": 4, "ending": "exit", "exitAfterOperations": 9 }
          ]
        }
        """;

    public static ShadowPtScenario Create() => new(ScenarioFile.Parse(Encoding.UTF8.GetBytes(Json), Name, contentHash: null));
}
