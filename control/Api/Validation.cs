namespace Whim.Control.Api;

/// <summary>
/// Collects every problem of one request body, each naming its field, and turns them into a 400 problem+json.
/// Requests are validated completely before anything is written, so a bad request never leaves half a change.
/// </summary>
internal sealed class Validation
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Add(string field, string reason) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, reason] : [reason];

    /// <summary>A required text field: present, not blank, at most <paramref name="max"/> characters.</summary>
    public string Required(string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required");
            return string.Empty;
        }

        return Optional(field, value, max) ?? string.Empty;
    }

    /// <summary>An optional text field of at most <paramref name="max"/> characters.</summary>
    public string? Optional(string field, string? value, int max)
    {
        if (value is not null && value.Length > max)
        {
            Add(field, $"is longer than {max} characters");
        }

        return value;
    }

    /// <summary>An optional value that must be one of <paramref name="allowed"/>.</summary>
    public string? OneOf(string field, string? value, IReadOnlyList<string> allowed)
    {
        if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
        {
            Add(field, "must be one of: " + string.Join(", ", allowed));
            return null;
        }

        return value;
    }

    /// <summary>A required value that must be one of <paramref name="allowed"/>.</summary>
    public string RequiredOneOf(string field, string? value, IReadOnlyList<string> allowed)
    {
        if (value is null)
        {
            Add(field, "is required");
            return string.Empty;
        }

        return OneOf(field, value, allowed) ?? string.Empty;
    }

    public void Range(string field, long? value, long min, long max)
    {
        if (value is { } v && (v < min || v > max))
        {
            Add(field, $"must be between {min} and {max}");
        }
    }

    /// <summary>A list of short strings.</summary>
    public void Items(string field, IReadOnlyList<string>? values, int maxCount, int maxLength)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count > maxCount)
        {
            Add(field, $"has more than {maxCount} entries");
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(values[i]) || values[i].Length > maxLength)
            {
                Add($"{field}[{i}]", $"must be 1 to {maxLength} characters");
            }
        }
    }

    public IResult ToProblem() => Problems.Validation(_errors);
}

/// <summary>The API's error answers, all <c>application/problem+json</c>.</summary>
internal static class Problems
{
    public static IResult Validation(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(
            errors,
            detail: string.Join("; ", errors.Select(static e => $"{e.Key}: {string.Join(", ", e.Value)}")),
            title: "The request is not valid.");

    public static IResult Field(string field, string reason) =>
        Validation(new Dictionary<string, string[]> { [field] = [reason] });

    public static IResult NotFound(string what) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: what + " does not exist.");

    public static IResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict.", detail: detail, extensions: extensions);
}

/// <summary>Opaque ids and the clock's milliseconds.</summary>
internal static class Ids
{
    public static string New() => Guid.CreateVersion7().ToString("N");

    public static long Millis(this TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();
}
