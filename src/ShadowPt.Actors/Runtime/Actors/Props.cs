namespace ShadowPt.Runtime.Actors;

/// <summary>How to create an actor (Akka's <c>Props</c>): a factory called once when the actor starts.</summary>
public sealed class Props
{
    /// <summary>Creates a new actor instance; called inside the new actor's context.</summary>
    private readonly Func<ActorBase> _factory;

    private Props(Func<ActorBase> factory, Type actorType)
    {
        _factory = factory;
        ActorType = actorType;
    }

    /// <summary>The type of actor these props create.</summary>
    public Type ActorType { get; }

    public static Props Create<T>()
        where T : ActorBase, new() => new(static () => new T(), typeof(T));

    public static Props Create<T>(Func<T> factory)
        where T : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(factory, typeof(T));
    }

    internal ActorBase NewActor() => _factory();
}
