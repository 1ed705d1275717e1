using FluentAssertions;
using Whim.Bootstrap.Configuration;
using Whim.Bootstrap.Injection;
using Xunit;

namespace Whim.Bootstrap.Tests.Injection;

public sealed class SkillMarkdownTests
{
    [Fact]
    public void Plain_markdown_gets_front_matter_with_name_and_a_description_from_its_first_line()
    {
        var text = SkillMarkdown.Render(new SkillSpec { Name = "fix-issue", Content = "# Fix: an issue\n\nSteps..." });
        text.Should().Be("---\nname: fix-issue\ndescription: \"Fix: an issue\"\n---\n# Fix: an issue\n\nSteps...");
    }

    [Fact]
    public void Existing_front_matter_is_kept_and_completed()
    {
        var text = SkillMarkdown.Render(new SkillSpec { Name = "pr", Description = "Summarise a PR", Content = "---\nallowed_tools: Bash\n---\nBody\n" });
        text.Should().Be("---\nname: pr\ndescription: \"Summarise a PR\"\nallowed_tools: Bash\n---\nBody\n");
    }

    [Fact]
    public void A_multi_file_skill_takes_its_body_from_skill_md()
    {
        var text = SkillMarkdown.Render(new SkillSpec { Name = "multi", Files = new() { ["SKILL.md"] = "---\nname: multi\ndescription: d\n---\nUse helper.sh" } });
        text.Should().Be("---\nname: multi\ndescription: d\n---\nUse helper.sh");
    }
}
