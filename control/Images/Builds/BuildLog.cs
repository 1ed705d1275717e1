using System.Threading.Channels;

namespace Whim.Control.Images.Builds;

/// <summary>
/// Streams a build's output into <see cref="IImageStore.AppendLogAsync"/>: the builder hands lines over synchronously
/// (from its output reader) and one writer stores them in batches, in order, so a slow database never stalls the build.
/// </summary>
internal sealed class BuildLog
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public BuildLog(IImageStore store, string imageId)
    {
        _writer = Task.Run(async () =>
        {
            var batch = new List<string>();
            while (await _lines.Reader.WaitToReadAsync())
            {
                while (batch.Count < 500 && _lines.Reader.TryRead(out var line))
                {
                    batch.Add(line);
                }

                await store.AppendLogAsync(imageId, [.. batch], CancellationToken.None);
                batch.Clear();
            }
        });
    }

    public void Append(string line) => _lines.Writer.TryWrite(line);

    /// <summary>Stops taking lines and waits until every line is stored.</summary>
    public Task CompleteAsync()
    {
        _lines.Writer.TryComplete();
        return _writer;
    }
}
