using System.Text.Json;
using FluentAssertions;
using Whim.Bootstrap.Configuration;
using Xunit;

namespace Whim.Bootstrap.Tests.Configuration;

public sealed class ConfigLayerMergerTests
{
    private static (EffectiveConfig Config, List<ConfigError> Errors) Merge(string? workspace, string? user, string? workspaceUser, IReadOnlyList<string>? order = null)
    {
        var errors = new List<ConfigError>();
        var layers = new[]
        {
            ConfigLayerParser.Parse(LayerNames.Workspace, Element(workspace), errors),
            ConfigLayerParser.Parse(LayerNames.User, Element(user), errors),
            ConfigLayerParser.Parse(LayerNames.WorkspaceUser, Element(workspaceUser), errors),
        };
        return (ConfigLayerMerger.Merge(layers, order, errors), errors);
    }

    private static JsonElement? Element(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Instructions_are_concatenated_general_to_specific_each_headed_by_its_layer()
    {
        var (config, errors) = Merge("""{"instructions":"W"}""", """{"instructions":"U"}""", """{"instructions":"WU"}""");
        errors.Should().BeEmpty();
        config.Instructions.Should().Be("<!-- whim: workspace instructions -->\nW\n\n<!-- whim: user instructions -->\nU\n\n<!-- whim: workspace_user instructions -->\nWU\n");
    }

    [Fact]
    public void Layers_without_text_add_no_header()
    {
        var (config, _) = Merge(null, """{"initScript":"echo u"}""", "{}");
        config.InitScript.Should().Be("# --- whim: user init script ---\necho u\n");
        config.Instructions.Should().BeEmpty();
    }

    [Theory]
    [InlineData("""{"env":{"A":"w","B":"w"}}""", """{"env":{"A":"u"}}""", """{"env":{"B":"wu"}}""", "A=u,B=wu")]
    [InlineData("""{"env":{"A":"w"}}""", null, null, "A=w")]
    [InlineData(null, """{"env":{"N":1,"T":true}}""", null, "N=1,T=true")]
    [InlineData("""{"env":{"X":"1"}}""", """{"env":{"Y":"2"}}""", """{"env":{"X":"3"}}""", "X=3,Y=2")]
    public void Env_vars_merge_per_key_with_the_later_layer_winning(string? w, string? u, string? wu, string expected)
    {
        var (config, errors) = Merge(w, u, wu);
        errors.Should().BeEmpty();
        string.Join(',', config.Env.Select(e => e.Key + "=" + e.Value)).Should().Be(expected);
    }

    [Theory]
    [InlineData(null, "wu")]
    [InlineData(new[] { "workspace", "user", "workspace_user" }, "w")]
    [InlineData(new[] { "user", "workspace_user", "workspace" }, "u")]
    public void Same_name_mcp_servers_are_decided_by_source_order_and_win_whole(string[]? order, string expectedCommand)
    {
        var (config, errors) = Merge(
            """{"mcpServers":{"db":{"command":"w","args":["x"]},"only-w":{"type":"http","url":"https://w.example/mcp"}}}""",
            """{"mcpServers":{"db":{"command":"u"}}}""",
            """{"mcpServers":{"db":{"type":"stdio","command":"wu"}}}""",
            order);
        errors.Should().BeEmpty();
        config.McpServers.Select(s => s.Key).Should().Equal("db", "only-w");
        var db = config.McpServers.Single(s => s.Key == "db").Value;
        db.Command.Should().Be(expectedCommand);
        (db.Args is null).Should().Be(expectedCommand != "w", "the winning entry is taken whole, no field merge");
    }

    [Fact]
    public void Skills_merge_by_name_plugins_are_a_union_and_scalars_take_the_most_specific_value()
    {
        var (config, errors) = Merge(
            """{"skills":[{"name":"a","content":"wa"},{"name":"b","content":"wb"}],"plugins":["p@m","q@m"],"model":"w-model","permissionMode":"plan","autoSleep":15}""",
            """{"skills":[{"name":"a","content":"ua"}],"plugins":["q@m","r@m"],"model":"u-model"}""",
            """{"reasoningEffort":"high"}""");
        errors.Should().BeEmpty();
        config.Skills.Select(s => s.Name + ":" + s.Content).Should().Equal("a:ua", "b:wb");
        config.Plugins.Should().Equal("p@m", "q@m", "r@m");
        (config.Model, config.PermissionMode, config.ReasoningEffort, config.AutoSleep).Should().Be(("u-model", "plan", "high", "15"));
    }

    public static TheoryData<string, string, string, string> BadLayers => new()
    {
        // layer JSON,                                                        layer,      field,                      reason fragment
        { "\"{not json\"", "user", "(layer)", "invalid JSON" },
        { "[1,2]", "user", "(layer)", "expected a JSON object" },
        { """{"mcpServers":{"broken":{"type":"stdio","args":["x"]}}}""", "user", "mcpServers.broken.command", "needs a command" },
        { """{"mcpServers":{"web":{"type":"http"}}}""", "user", "mcpServers.web.url", "absolute http(s) url" },
        { """{"mcpServers":{"odd":{"type":"grpc","command":"x"}}}""", "user", "mcpServers.odd.type", "unknown type" },
        { """{"mcpServers":{"whim":{"command":"x"}}}""", "user", "mcpServers.whim", "reserved" },
        { """{"mcpServers":{"bad":{"args":"not-an-array","command":"x"}}}""", "user", "mcpServers.bad.args", "malformed" },
        { """{"skills":[{"name":"Bad Name!","content":"x"}]}""", "user", "skills[0] (Bad Name!)", "skill name" },
        { """{"skills":[{"name":"empty"}]}""", "user", "skills[0] (empty)", "needs content" },
        { """{"skills":[{"name":"esc","content":"x","files":{"../evil":"x"}}]}""", "user", "skills[0] (esc)", "relative" },
        { """{"env":{"A=B":"x"}}""", "user", "env.A=B", "not a valid variable name" },
        { """{"env":{"1X":"x"}}""", "user", "env.1X", "not a valid variable name" },
        { """{"env":{"OBJ":{"a":1}}}""", "user", "env.OBJ", "expected a string value" },
        { """{"env":"FOO=1"}""", "user", "env", "expected an object" },
        { """{"instructions":42}""", "user", "instructions", "expected a string" },
        { """{"plugins":[7]}""", "user", "plugins[0]", "plugin id" },
        { """{"permissionMode":"yolo"}""", "user", "permissionMode", "unknown mode 'yolo'" },
    };

    [Theory]
    [MemberData(nameof(BadLayers))]
    public void A_bad_entry_is_reported_with_layer_and_field_and_everything_else_still_applies(string badUserLayer, string layer, string field, string reason)
    {
        var errors = new List<ConfigError>();
        var layers = new[]
        {
            ConfigLayerParser.Parse(LayerNames.Workspace, Element("""{"instructions":"W","env":{"GOOD":"1"},"mcpServers":{"ok":{"command":"ok"}}}"""), errors),
            ConfigLayerParser.Parse(LayerNames.User, Element(badUserLayer), errors),
            ConfigLayerParser.Parse(LayerNames.WorkspaceUser, Element("""{"skills":[{"name":"fine","content":"# Fine"}]}"""), errors),
        };
        var config = ConfigLayerMerger.Merge(layers, null, errors);

        errors.Should().ContainSingle();
        errors[0].Layer.Should().Be(layer);
        errors[0].Field.Should().Be(field);
        errors[0].Reason.Should().Contain(reason);
        errors[0].ToString().Should().Contain($"layer '{layer}'").And.Contain(field);
        config.Instructions.Should().Contain("W");
        config.Env.Should().Contain(new KeyValuePair<string, string>("GOOD", "1"));
        config.McpServers.Select(s => s.Key).Should().Contain("ok");
        config.Skills.Select(s => s.Name).Should().Contain("fine");
    }

    [Theory]
    [InlineData("Accept Edits", "acceptEdits")]
    [InlineData("Plan Mode", "plan")]
    [InlineData("bypassPermissions", "bypassPermissions")]
    [InlineData("Use preference", "default")]
    public void Permission_modes_from_the_ui_are_normalised_and_use_preference_defers_to_the_layer_below(string mode, string expected)
    {
        var (config, errors) = Merge(null, """{"permissionMode":"default"}""", $$"""{"permissionMode":"{{mode}}"}""");
        errors.Should().BeEmpty();
        config.PermissionMode.Should().Be(expected);
    }

    [Fact]
    public void Valid_entries_beside_a_bad_one_in_the_same_layer_still_apply()
    {
        var (config, errors) = Merge(null, """{"env":{"OK":"1","NO=PE":"x"},"mcpServers":{"a":{"command":"a"},"b":{"type":"stdio"}},"skills":[{"name":"x y","content":"c"},{"name":"good","content":"c"}]}""", null);
        errors.Select(e => e.Field).Should().BeEquivalentTo(["env.NO=PE", "mcpServers.b.command", "skills[0] (x y)"]);
        config.Env.Select(e => e.Key).Should().Equal("OK");
        config.McpServers.Select(s => s.Key).Should().Equal("a");
        config.Skills.Select(s => s.Name).Should().Equal("good");
    }
}
