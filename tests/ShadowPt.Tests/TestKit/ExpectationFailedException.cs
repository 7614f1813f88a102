using Xunit.Sdk;

namespace ShadowPt.Tests.TestKit;

/// <summary>A test-kit expectation did not hold; xunit reports it as an assertion failure.</summary>
public sealed class ExpectationFailedException : XunitException
{
    public ExpectationFailedException()
        : base("a test-kit expectation failed")
    {
    }

    public ExpectationFailedException(string message)
        : base(message)
    {
    }

    public ExpectationFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
