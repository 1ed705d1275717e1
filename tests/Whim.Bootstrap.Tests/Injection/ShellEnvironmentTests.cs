using System.Diagnostics;
using FluentAssertions;
using Whim.Bootstrap.Injection;
using Whim.Testing;
using Xunit;

namespace Whim.Bootstrap.Tests.Injection;

public sealed class ShellEnvironmentTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("$HOME `id` $(id) \\n \"q\"")]
    [InlineData("multi\nline")]
    [InlineData("")]
    public async Task Env_file_values_come_back_exactly_through_a_real_bash(string value)
    {
        using var root = new TempRoot();
        var file = Path.Join(root.Path, "x.env");
        await File.WriteAllTextAsync(file, ShellEnvironment.EnvFile([new("V", value)]));
        var info = new ProcessStartInfo("bash", ["-c", $". '{file}'; printf '%s' \"$V\""]) { RedirectStandardOutput = true };
        using var bash = Process.Start(info)!;
        var printed = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        printed.Should().Be(value);
    }

    [Fact]
    public void The_managed_block_is_appended_once_and_replaced_in_place_on_rerun()
    {
        var original = "# user stuff\nalias ll='ls -l'";
        var once = ShellEnvironment.WithManagedBlock(original, "echo one\n");
        var twice = ShellEnvironment.WithManagedBlock(once, "echo two\n");
        var again = ShellEnvironment.WithManagedBlock(twice, "echo two\n");

        once.Should().StartWith(original + "\n").And.Contain("echo one");
        twice.Should().NotContain("echo one").And.Contain("echo two");
        again.Should().Be(twice);
        twice.Split(ShellEnvironment.BeginMarker).Should().HaveCount(2, "exactly one block");
    }
}
