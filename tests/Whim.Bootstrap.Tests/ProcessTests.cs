using Xunit;

namespace Whim.Bootstrap.Tests;

/// <summary>Tests that start the whole set of services run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessTests
{
    public const string Name = "whole-runtime processes";
}
