using System.Reflection;

namespace Whim.Testing;

/// <summary>Finds the repository and the build output of its projects, for tests that start a real binary.</summary>
public static class RepoLayout
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The folder holding <c>Whim.sln</c>.</summary>
    public static string Root => s_root.Value;

    /// <summary>The build configuration the tests were built with (Debug or Release).</summary>
    public static string Configuration =>
        typeof(RepoLayout).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// The built entry assembly of a project, e.g. <c>ProjectDll("runtime/GenerationProxy", "Whim.GenerationProxy")</c>.
    /// The test project references the project, so it is built before the tests run.
    /// </summary>
    public static string ProjectDll(string projectFolder, string assemblyName)
    {
        var path = Path.Join(Root, projectFolder, "bin", Configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"build output missing: {path} (build the solution first)", path);
        }

        return path;
    }

    /// <summary>A spec that runs a built project with <c>dotnet</c>.</summary>
    public static ProcessSpec DotnetProject(string projectFolder, string assemblyName, params string[] args) =>
        new("dotnet", [ProjectDll(projectFolder, assemblyName), .. args]);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Join(dir.FullName, "Whim.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Whim.sln not found above " + AppContext.BaseDirectory);
    }
}
