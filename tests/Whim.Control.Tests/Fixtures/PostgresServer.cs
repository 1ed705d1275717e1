using Xunit;

namespace Whim.Control.Tests.Fixtures;

/// <summary>The test run's PostgreSQL: one <see cref="ThrowawayPostgres"/> shared by the "postgres" collection, stopped at the end.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly ThrowawayPostgres _server = new();

    public Task<string> CreateDatabaseAsync() => _server.CreateDatabaseAsync();

    public Task InitializeAsync() => _server.StartAsync();

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
