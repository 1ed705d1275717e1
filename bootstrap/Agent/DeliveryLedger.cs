using System.Text;
using Whim.Runtime.Files;

namespace Whim.Bootstrap.Agent;

/// <summary>
/// The prompt ids already written to the agent (<c>/whim/run/delivered-prompts</c>, one per line, newest last), so a
/// restarted bootstrap neither repeats the task prompt nor re-delivers a prompt whose acknowledgement was lost. The
/// file is replaced atomically on every addition and keeps the latest <c>capacity</c> ids.
/// </summary>
internal sealed class DeliveryLedger
{
    private readonly int _capacity;

    /// <summary>The id the task's own prompt is recorded under.</summary>
    public const string TaskPrompt = "task-prompt";


    private readonly string _path;
    private readonly List<string> _ids;
    private readonly HashSet<string> _set;

    public DeliveryLedger(string path, int capacity = 1000)
    {
        _path = path;
        _capacity = capacity;
        _ids = File.Exists(path) ? [.. File.ReadAllLines(path).Where(l => l.Length > 0)] : [];
        _set = [.. _ids];
    }

    public bool Contains(string id) => _set.Contains(id);

    public void Add(string id)
    {
        if (!_set.Add(id))
        {
            return;
        }

        _ids.Add(id);
        if (_ids.Count > _capacity)
        {
            _set.Remove(_ids[0]);
            _ids.RemoveAt(0);
        }

        AtomicFile.Write(_path, Encoding.UTF8.GetBytes(string.Join('\n', _ids) + "\n"));
    }
}
