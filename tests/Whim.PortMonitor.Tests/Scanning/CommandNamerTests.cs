using FluentAssertions;
using Whim.PortMonitor.Scanning;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

public sealed class CommandNamerTests
{
    [Fact]
    public void Names_a_vite_server_by_the_npm_script_that_started_it()
    {
        var chain = new[]
        {
            new ProcessInfo(30, 20, "node", ["node", "/app/node_modules/.bin/vite", "--port", "5173"]),
            new ProcessInfo(20, 10, "sh", ["sh", "-c", "vite --port 5173"]),
            new ProcessInfo(10, 1, "npm run dev", ["npm", "run", "dev"]),
            new ProcessInfo(1, 0, "bash", ["bash"]),
        };

        CommandNamer.Name(chain).Should().Be("npm run dev");
    }

    [Fact]
    public void Names_npm_run_as_node_script_by_the_runner()
    {
        var chain = new[]
        {
            new ProcessInfo(30, 10, "node", ["node", "server.js"]),
            new ProcessInfo(10, 1, "node", ["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "start"]),
        };

        CommandNamer.Name(chain).Should().Be("npm start");
    }

    [Fact]
    public void Names_a_directly_started_server_by_its_own_command_without_the_interpreter_path()
    {
        var chain = new[]
        {
            new ProcessInfo(30, 10, "python3", ["/usr/bin/python3", "-m", "http.server", "8000"]),
            new ProcessInfo(10, 1, "bash", ["-bash"]),
        };

        CommandNamer.Name(chain).Should().Be("python3 -m http.server 8000");
    }

    [Fact]
    public void Does_not_climb_past_a_process_that_is_not_a_wrapper()
    {
        var chain = new[]
        {
            new ProcessInfo(30, 20, "node", ["node", "/app/node_modules/.bin/vite"]),
            new ProcessInfo(20, 10, "tmux: server", ["tmux"]),
            new ProcessInfo(10, 1, "npm", ["npm", "run", "dev"]),
        };

        CommandNamer.Name(chain).Should().Be("node vite");
    }

    [Fact]
    public void A_test_host_or_other_dotnet_parent_is_not_taken_for_the_command()
    {
        var chain = new[]
        {
            new ProcessInfo(30, 10, "python3.12", ["python3", "-u", "-m", "http.server", "0"]),
            new ProcessInfo(10, 1, "dotnet", ["dotnet", "exec", "testhost.dll", "--port", "1234"]),
        };

        CommandNamer.Name(chain).Should().Be("python3 -u -m http.server 0");
    }

    [Fact]
    public void Falls_back_to_the_process_name_without_a_command_line()
    {
        CommandNamer.Name([new ProcessInfo(5, 1, "kworker", [])]).Should().Be("kworker");
    }
}
