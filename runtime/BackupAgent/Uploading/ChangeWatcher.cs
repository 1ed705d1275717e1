using Whim.BackupAgent.Sources;

namespace Whim.BackupAgent.Uploading;

/// <summary>
/// The file-change trigger: <see cref="FileSystemWatcher"/>s on the roots that exist (re-checked every pass, so a
/// root created later is picked up) and on each file root's folder. A burst of events calls <c>onChange</c> once,
/// <c>debounce</c> after its first event; continuous writing therefore uploads at a steady pace instead of never.
/// </summary>
internal sealed class ChangeWatcher(SourceRoots roots, TimeSpan debounce, TimeProvider time, Action onChange) : IDisposable
{
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ITimer? _pending;
    private bool _disposed;

    /// <summary>Starts watchers for roots that have appeared since the last call.</summary>
    public void Refresh()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var root in roots.Roots)
            {
                var folder = root.IsFile ? Path.GetDirectoryName(root.Path)! : root.Path;
                if (_watchers.ContainsKey(folder) || !Directory.Exists(folder))
                {
                    continue;
                }

                try
                {
                    var watcher = new FileSystemWatcher(folder)
                    {
                        IncludeSubdirectories = !root.IsFile,
                        NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.LastWrite,
                    };
                    watcher.Changed += OnEvent;
                    watcher.Created += OnEvent;
                    watcher.Renamed += OnEvent;
                    watcher.Deleted += OnEvent;
                    watcher.Error += (_, _) => Fire();
                    watcher.EnableRaisingEvents = true;
                    _watchers[folder] = watcher;
                }
                catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
                {
                    // Out of inotify watches or a vanished folder: the periodic trigger still covers it.
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _pending?.Dispose();
            foreach (var watcher in _watchers.Values)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
        }
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        lock (_lock)
        {
            if (_pending is not null || _disposed)
            {
                return;
            }

            _pending = time.CreateTimer(_ => Fire(), null, debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            _pending?.Dispose();
            _pending = null;
        }

        onChange();
    }
}
