using Microsoft.Extensions.Options;
using Whim.Runtime.Configuration;

namespace Whim.Control.Storage;

/// <summary>Where the control API keeps its data: <c>WHIM_DATA_DIR</c> and <c>WHIM_DATABASE</c>.</summary>
internal sealed class StorageOptions
{
    /// <summary>The data folder (SQLite file, attachments, history streams).</summary>
    public string DataDirectory { get; set; } = string.Empty;

    /// <summary>Empty: SQLite file in the data folder; otherwise a PostgreSQL connection string (<c>Host=...</c>).</summary>
    public string Database { get; set; } = string.Empty;

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(Database);

    public static StorageOptions From(IConfiguration configuration, WhimPaths paths) => new()
    {
        DataDirectory = paths.Resolve("DATA_DIR", "/whim/data"),
        Database = configuration["DATABASE"] ?? string.Empty,
    };
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new OptionsErrors();
        errors.When(string.IsNullOrWhiteSpace(options.DataDirectory), "WHIM_DATA_DIR", "must name a folder");
        if (options.UsesPostgres)
        {
            try
            {
                var builder = new Npgsql.NpgsqlConnectionStringBuilder(options.Database);
                errors.When(string.IsNullOrWhiteSpace(builder.Host), "WHIM_DATABASE", "a PostgreSQL connection string needs Host=");
            }
            catch (ArgumentException e)
            {
                errors.Add("WHIM_DATABASE", "not a PostgreSQL connection string: " + e.Message);
            }
        }

        return errors.ToResult();
    }
}
