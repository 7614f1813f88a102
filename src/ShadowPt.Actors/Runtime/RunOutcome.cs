namespace ShadowPt.Runtime;

/// <summary>Why a deterministic run (or a part of it) stopped.</summary>
public enum RunOutcome
{
    /// <summary>Nothing left to deliver and no timer pending: the run is over.</summary>
    Quiescent,

    /// <summary>The caller's condition holds (RunUntil).</summary>
    ConditionMet,

    /// <summary>The caller's step budget for this call was used; the run can go on.</summary>
    StepBudgetUsed,

    /// <summary>A violation ended the run; see <see cref="ActorSystem.Violation"/>.</summary>
    Violation,
}
