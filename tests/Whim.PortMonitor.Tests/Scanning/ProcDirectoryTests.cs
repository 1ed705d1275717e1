using FluentAssertions;
using Whim.PortMonitor.Scanning;
using Whim.Testing;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

public sealed class ProcDirectoryTests : IDisposable
{
    private readonly TempRoot _root = new("whim-procdir-");

    [Fact]
    public void Reads_the_inodes_of_socket_links_and_skips_every_other_fd()
    {
        var fd = Directory.CreateDirectory(Path.Join(_root.Path, "fd")).FullName;
        File.CreateSymbolicLink(Path.Join(fd, "0"), "/dev/null");
        File.CreateSymbolicLink(Path.Join(fd, "3"), "socket:[12345]");
        File.CreateSymbolicLink(Path.Join(fd, "4"), "pipe:[777]");
        File.CreateSymbolicLink(Path.Join(fd, "5"), "socket:[18446744073709551615]");
        File.CreateSymbolicLink(Path.Join(fd, "6"), "/a/path/" + new string('x', 200));
        File.CreateSymbolicLink(Path.Join(fd, "7"), "socket:[12x]");
        var inodes = new List<ulong>();

        new ProcDirectory().ReadSocketInodes(fd, inodes).Should().BeTrue();

        inodes.Should().BeEquivalentTo([12345UL, ulong.MaxValue]);
    }

    [Fact]
    public void A_folder_that_is_gone_reads_as_false()
    {
        var inodes = new List<ulong>();

        new ProcDirectory().ReadSocketInodes(Path.Join(_root.Path, "4242", "fd"), inodes).Should().BeFalse();
        ProcDirectory.ReadNumericNames(Path.Join(_root.Path, "gone"), []).Should().BeFalse();
        inodes.Should().BeEmpty();
    }

    [Fact]
    public void Lists_only_numeric_names_as_pids()
    {
        foreach (var name in new[] { "1", "42", "net", "self", "4x", "007" })
        {
            Directory.CreateDirectory(Path.Join(_root.Path, name));
        }

        var pids = new List<int>();

        ProcDirectory.ReadNumericNames(_root.Path, pids).Should().BeTrue();

        pids.Should().BeEquivalentTo([1, 42, 7]);
    }

    [Theory]
    [InlineData("socket:[1]", true, 1UL)]
    [InlineData("socket:[]", false, 0UL)]
    [InlineData("socket:[+1]", false, 0UL)]
    [InlineData("socket:[1", false, 0UL)]
    [InlineData("anon_inode:[eventfd]", false, 0UL)]
    [InlineData("socket:[99999999999999999999]", false, 0UL)]
    public void Parses_socket_links_exactly(string target, bool parsed, ulong inode)
    {
        ProcDirectory.TryParseSocketLink(System.Text.Encoding.ASCII.GetBytes(target), out var read).Should().Be(parsed);
        read.Should().Be(inode);
    }

    public void Dispose() => _root.Dispose();
}
