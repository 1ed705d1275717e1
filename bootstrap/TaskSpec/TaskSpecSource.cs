using System.Text.Json;

namespace Whim.Bootstrap.TaskSpec;

/// <summary>Where the task's document comes from: a file now, the control API later; interchangeable.</summary>
internal interface ITaskSpecSource
{
    /// <summary>Loads the document; throws <see cref="TaskSpecException"/> naming the problem.</summary>
    Task<TaskSpecDocument> LoadAsync(CancellationToken cancellationToken);
}

/// <summary>Reads the document from a JSON file (<c>--spec</c> or <c>WHIM_TASK_SPEC</c>).</summary>
internal sealed class FileTaskSpecSource(string path) : ITaskSpecSource
{
    public async Task<TaskSpecDocument> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new TaskSpecException($"spec file '{path}' does not exist");
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var spec = await JsonSerializer.DeserializeAsync(stream, BootstrapJsonContext.Default.TaskSpecDocument, cancellationToken);
            return TaskSpecValidator.Validate(spec ?? throw new TaskSpecException($"spec file '{path}' holds null"));
        }
        catch (JsonException e)
        {
            throw new TaskSpecException($"spec file '{path}': invalid JSON at {e.Path}: {e.Message}");
        }
    }
}

/// <summary>The task document is unusable as a whole (the layers' own problems are reported, not thrown).</summary>
internal sealed class TaskSpecException(string message) : Exception(message);

/// <summary>Checks the fields bootstrap cannot do without.</summary>
internal static class TaskSpecValidator
{
    public static TaskSpecDocument Validate(TaskSpecDocument spec)
    {
        var problems = new List<string>();
        Require(spec.TaskId, "taskId", problems);
        Require(spec.DisplayId, "displayId", problems);
        Require(spec.RepoUrl, "repoUrl", problems);
        Require(spec.SourceBranch, "sourceBranch", problems);
        if (spec.Provider is not ("claude" or "codex"))
        {
            problems.Add($"provider: must be 'claude' or 'codex' (got '{spec.Provider}')");
        }

        if (spec.InitFailure is not (null or "continue" or "stop"))
        {
            problems.Add($"initFailure: must be 'continue' or 'stop' (got '{spec.InitFailure}')");
        }

        if (spec.InitTimeoutSeconds is <= 0)
        {
            problems.Add("initTimeoutSeconds: must be positive");
        }

        if (spec.DisplayId is { } display && !display.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            problems.Add("displayId: only letters, digits, '-' and '_' (it becomes the branch name)");
        }

        return problems.Count == 0 ? spec : throw new TaskSpecException("task spec: " + string.Join("; ", problems));
    }

    private static void Require(string? value, string field, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(field + ": required");
        }
    }
}
