using FluentAssertions;
using Whim.LocalProxy.Routing;
using Xunit;

namespace Whim.LocalProxy.Tests.Routing;

public sealed class PortSelectorTests
{
    private readonly PortSelector _selector = new(new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "runner-1" }, new HashSet<int> { 3001, 8080, 8081, 8082, 5080 });

    [Theory]
    [InlineData("5173.localhost:8080", 5173)]
    [InlineData("5173.localhost", 5173)]
    [InlineData("3000-ww-12.preview.example", 3000)]
    [InlineData("3000-ww-12.preview.example:443", 3000)]
    [InlineData("3000-x.localhost:8080", 3000)]
    public void Takes_the_port_from_the_host(string host, int port)
    {
        var selection = Select(host);
        selection.Kind.Should().Be(SelectionKind.Host);
        selection.Port.Should().Be(port);
    }

    [Theory]
    [InlineData("localhost:8080")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("[::1]:8080")]
    [InlineData("10.0.0.7")]
    [InlineData("runner-1:8080")]
    public void Sends_a_bare_host_to_the_primary_dev_server(string host)
    {
        var selection = Select(host, primary: 5173);
        selection.Kind.Should().Be(SelectionKind.Primary);
        selection.Port.Should().Be(5173);
    }

    [Fact]
    public void A_bare_host_without_any_dev_server_selects_no_port()
    {
        Select("localhost", primary: 0).Should().Be(new PortSelection(SelectionKind.Primary, 0, 0, null, null));
    }

    [Fact]
    public void The_router_header_wins_over_the_host()
    {
        var selection = Select("3000-ww-12.preview.example", header: "5173");
        selection.Kind.Should().Be(SelectionKind.Header);
        selection.Port.Should().Be(5173);
    }

    [Theory]
    [InlineData("evil.com", "Host")]
    [InlineData("evil.com:8080", "Host")]
    [InlineData("app.5173.localhost", "Host")]
    [InlineData("5173.localhost.evil.com", "Host")]
    [InlineData("foo.localhost", "Host")]
    [InlineData("0.localhost", "Host")]
    [InlineData("65536.localhost", "Host")]
    [InlineData("99999-x.preview.example", "Host")]
    [InlineData("localhost:abc", "Host")]
    [InlineData("user@localhost", "Host")]
    [InlineData("", "Host")]
    public void Refuses_hosts_that_name_other_hosts_or_no_valid_port(string host, string field)
    {
        var selection = Select(host);
        selection.Kind.Should().Be(SelectionKind.Refused);
        selection.Status.Should().Be(400);
        selection.Field.Should().Be(field);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+80")]
    [InlineData("127.0.0.1:5173")]
    [InlineData("evil.com")]
    [InlineData("5173 ")]
    [InlineData("")]
    [InlineData("005173")]
    public void Refuses_port_headers_that_are_not_plain_port_numbers(string header)
    {
        var selection = Select("localhost", header: header);
        selection.Status.Should().Be(400);
        selection.Field.Should().Be(PortSelector.PortHeader);
    }

    [Theory]
    [InlineData("3001.localhost", null)]
    [InlineData("8080-ww.preview.example", null)]
    [InlineData("localhost", "8081")]
    [InlineData("localhost", "8082")]
    [InlineData("localhost", "5080")]
    public void Refuses_the_runtime_s_own_ports_with_403(string host, string? header)
    {
        var selection = Select(host, header: header);
        selection.Kind.Should().Be(SelectionKind.Refused);
        selection.Status.Should().Be(403);
    }

    [Fact]
    public void Never_routes_a_bare_host_to_a_runtime_port_even_if_it_were_primary()
    {
        Select("localhost", primary: 8081).Status.Should().Be(403);
    }

    [Theory]
    [InlineData("GET", "http://evil.com/", 400)]
    [InlineData("GET", "*", 400)]
    [InlineData("CONNECT", "evil.com:443", 405)]
    [InlineData("OPTIONS", "*", 400)]
    public void Refuses_absolute_form_authority_form_and_CONNECT(string method, string target, int status)
    {
        var selection = _selector.Select(new PreviewRequestTarget(method, false, target, "5173.localhost", null), 0);
        selection.Status.Should().Be(status);
    }

    [Fact]
    public void Accepts_an_HTTP2_WebSocket_extended_CONNECT()
    {
        _selector.Select(new PreviewRequestTarget("CONNECT", true, "/", "5173.localhost", null), 0).Port.Should().Be(5173);
    }

    private PortSelection Select(string host, int primary = 0, string? header = null) =>
        _selector.Select(new PreviewRequestTarget("GET", false, "/", host, header), primary);
}
