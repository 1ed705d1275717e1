using System.Text;
using Whim.Control.Images.Config;

namespace Whim.Control.Images.Tests;

/// <summary>A repository revision held in memory.</summary>
internal sealed class FakeRepository : IRepositoryFiles
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public FakeRepository With(string path, string content)
    {
        _files[path] = Encoding.UTF8.GetBytes(content);
        return this;
    }

    public byte[]? TryRead(string path) => _files.TryGetValue(path, out var bytes) ? bytes : null;
}
