namespace Whim.Bootstrap.Supervision;

/// <summary>How to start a service: its AOT binary in the binary folder (or its sub-folder), else its build output through <c>dotnet</c>.</summary>
internal sealed record ServiceCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Finds the command for <paramref name="service"/>, or explains where it looked.</summary>
    public static ServiceCommand Resolve(ServiceDefinition service, string? binDirectory, string? repoRoot)
    {
        var looked = new List<string>();
        if (binDirectory is not null)
        {
            // Flat (an image's /opt/whim/bin) or one folder per service (bench/aot-binaries.sh's artifacts/aot/<name>/).
            foreach (var native in new[] { Path.Join(binDirectory, service.Assembly), Path.Join(binDirectory, Path.GetFileName(service.ProjectFolder).ToLowerInvariant(), service.Assembly) })
            {
                if (File.Exists(native))
                {
                    return new ServiceCommand(native, []);
                }

                looked.Add(native);
            }
            var dll = Path.Join(binDirectory, service.Assembly + ".dll");
            if (File.Exists(dll))
            {
                return new ServiceCommand("dotnet", [dll]);
            }

            looked.Add(dll);
        }

        if (repoRoot is not null)
        {
            // A checkout may hold both a Debug and a Release build; the one built last is the one meant.
            var newest = new[] { "Release", "Debug" }
                .Select(configuration => Path.Join(repoRoot, service.ProjectFolder, "bin", configuration, "net10.0", service.Assembly + ".dll"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
            if (newest is not null)
            {
                return new ServiceCommand("dotnet", [newest]);
            }

            looked.Add(Path.Join(repoRoot, service.ProjectFolder, "bin", "{Release,Debug}", "net10.0", service.Assembly + ".dll"));
        }

        throw new FileNotFoundException($"{service.Name}: no binary found; looked in {string.Join(", ", looked)}");
    }
}
