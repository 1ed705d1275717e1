using System.Text;
using System.Text.Json;
using FluentAssertions;
using Whim.Runtime.Files;
using Whim.Testing;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.Files;

public sealed class AtomicFileTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_polling_under_load_never_sees_a_partial_document(bool durable)
    {
        using var root = new TempRoot();
        var path = root.File("tmp/claude_state");
        AtomicFile.Write(path, Document(0, 10));

        using var stop = new CancellationTokenSource();
        var reads = 0;
        var torn = new List<string>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var bytes = File.ReadAllBytes(path);
                reads++;
                try
                {
                    using var doc = JsonDocument.Parse(bytes);
                    var padding = doc.RootElement.GetProperty("padding").GetString()!;
                    if (padding.Length != doc.RootElement.GetProperty("length").GetInt32())
                    {
                        torn.Add("length mismatch");
                    }
                }
                catch (JsonException e)
                {
                    torn.Add(e.Message);
                }
            }
        });

        // Documents alternate between small and large so a non-atomic writer would expose a mix of both.
        for (var i = 1; i <= 1500; i++)
        {
            if (durable)
            {
                await AtomicFile.WriteAsync(path, Document(i, i % 2 == 0 ? 64 : 48_000));
            }
            else
            {
                AtomicFile.Write(path, Document(i, i % 2 == 0 ? 64 : 48_000), durable: false);
            }
        }

        await Eventually.UntilAsync(() => reads > 200, "the reader to have read many times");
        await stop.CancelAsync();
        await reader;

        torn.Should().BeEmpty();
        JsonDocument.Parse(File.ReadAllBytes(path)).RootElement.GetProperty("n").GetInt32().Should().Be(1500);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle("temporary files must not be left behind");
    }

    [Fact]
    public void Write_creates_the_folder_and_replaces_existing_content()
    {
        using var root = new TempRoot();
        var path = Path.Join(root.Path, "a", "b", "state.json");
        AtomicFile.Write(path, "first"u8);
        AtomicFile.Write(path, "second"u8);
        File.ReadAllText(path).Should().Be("second");
    }

    [Fact]
    public async Task WriteAsync_from_a_stream_replaces_the_file_with_all_of_it()
    {
        using var root = new TempRoot();
        var path = Path.Join(root.Path, "restored", "session.jsonl");
        AtomicFile.Write(path, "old"u8);
        var content = new byte[(3 * 1024 * 1024) + 17];
        new Random(1).NextBytes(content);

        var written = await AtomicFile.WriteAsync(path, new MemoryStream(content));

        written.Should().Be(content.Length);
        File.ReadAllBytes(path).Should().Equal(content);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle("temporary files must not be left behind");
    }

    private static byte[] Document(int n, int length) =>
        Encoding.UTF8.GetBytes($"{{\"n\":{n},\"length\":{length},\"padding\":\"{new string('x', length)}\"}}");
}
