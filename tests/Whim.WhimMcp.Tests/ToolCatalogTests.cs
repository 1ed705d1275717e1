using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using Whim.Testing;
using Whim.WhimMcp.Tools;

namespace Whim.WhimMcp.Tests;

/// <summary>
/// tools/list is served from the precomputed catalogue (runtime/WhimMcp.Tools/tools.json); it must say exactly what the
/// tool methods say. After changing a tool's name, description, parameters or annotations, regenerate the catalogue with
/// <c>WHIM_REGENERATE_TOOL_CATALOG=1 dotnet test tests/Whim.WhimMcp.Tests --filter ToolCatalogTests</c>.
/// </summary>
public sealed class ToolCatalogTests
{
    private const string RegenerateVariable = "WHIM_REGENERATE_TOOL_CATALOG";

    [Fact]
    public void Catalogue_holds_exactly_the_definitions_the_tool_methods_produce()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var reflected = new JsonArray([.. WhimToolCatalog.CreateReflected(services).Select(t => JsonSerializer.SerializeToNode(t.ProtocolTool, McpJsonUtilities.DefaultOptions))]);
        var catalogue = new JsonArray([.. WhimToolCatalog.LoadDefinitions().Select(t => JsonSerializer.SerializeToNode(t, McpJsonUtilities.DefaultOptions))]);

        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1" && !JsonNode.DeepEquals(reflected, catalogue))
        {
            var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            File.WriteAllText(Path.Join(RepoLayout.Root, "runtime", "WhimMcp.Tools", "tools.json"), new JsonObject { ["tools"] = reflected.DeepClone() }.ToJsonString(options) + "\n");
        }

        catalogue.Select(t => t!["name"]!.GetValue<string>()).Should().Equal(reflected.Select(t => t!["name"]!.GetValue<string>()));
        for (var i = 0; i < reflected.Count; i++)
        {
            JsonNode.DeepEquals(catalogue[i], reflected[i]).Should().BeTrue(
                $"the catalogue's {reflected[i]!["name"]} must equal what its method produces (set {RegenerateVariable}=1 and re-run this test to rewrite tools.json):\n" +
                $"catalogue: {catalogue[i]!.ToJsonString()}\nmethod:    {reflected[i]!.ToJsonString()}");
        }
    }

    [Fact]
    public void Catalogue_lists_the_specified_tools()
    {
        WhimToolCatalog.LoadDefinitions().Select(t => t.Name).Should().BeEquivalentTo(WhimToolsRegistration.ToolNames);
    }

    [Fact]
    public void A_deferred_tool_lists_its_definition_without_reflection_and_binds_its_method_once()
    {
        var definition = WhimToolCatalog.LoadDefinitions().Single(t => t.Name == "get_task");
        var created = 0;
        using var services = new ServiceCollection().BuildServiceProvider();
        var tool = new DeferredTool(definition, () =>
        {
            created++;
            return WhimToolCatalog.CreateReflected(services, "get_task");
        });

        tool.ProtocolTool.Should().BeSameAs(definition);
        created.Should().Be(0, "listing needs no reflection");

        tool.Metadata.OfType<System.Reflection.MethodInfo>().Single().Name.Should().Be(nameof(DiscoveryTools.GetTaskAsync));
        _ = tool.Metadata;
        created.Should().Be(1);
    }
}
