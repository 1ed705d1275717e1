using FluentAssertions;
using Whim.Bootstrap.Agent;
using Whim.Testing;
using Xunit;

namespace Whim.Bootstrap.Tests.Agent;

public sealed class PromptPumpTests : IDisposable
{
    private readonly TempRoot _root = new("whim-pump-");
    private readonly FakeQueue _queue = new();
    private readonly FakeAgent _agent;

    public PromptPumpTests() => _agent = new FakeAgent(_queue.Events);

    private string LedgerPath => Path.Join(_root.Path, "delivered-prompts");

    private PromptPump Pump() => new(_queue, _agent, new DeliveryLedger(LedgerPath), TextWriter.Null);

    [Fact]
    public async Task Pending_prompts_are_written_in_order_and_acknowledged_after_the_write()
    {
        _queue.Add("p1", "one");
        _queue.Add("p2", "two");

        (await Pump().PumpOnceAsync(CancellationToken.None)).Should().Be(2);

        _agent.Written.Should().Equal("one", "two");
        _queue.Events.Should().Equal("write one", "ack p1", "write two", "ack p2");
    }

    [Fact]
    public async Task A_lost_acknowledgement_does_not_deliver_the_prompt_twice_even_after_a_restart()
    {
        _queue.Add("p1", "one");
        _queue.FailNextAck = true;
        await FluentActions.Awaiting(() => Pump().PumpOnceAsync(CancellationToken.None)).Should().ThrowAsync<HttpRequestException>();

        // A new pump (a restarted bootstrap) reads the ledger: it acknowledges without writing again.
        (await Pump().PumpOnceAsync(CancellationToken.None)).Should().Be(0);

        _agent.Written.Should().Equal("one");
        _queue.Pending.Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_write_leaves_the_prompt_pending_for_the_next_pass()
    {
        _queue.Add("p1", "one");
        _agent.FailNext = true;
        await FluentActions.Awaiting(() => Pump().PumpOnceAsync(CancellationToken.None)).Should().ThrowAsync<IOException>();
        _queue.Pending.Should().ContainSingle();

        (await Pump().PumpOnceAsync(CancellationToken.None)).Should().Be(1);
        _agent.Written.Should().Equal("one");
        _queue.Pending.Should().BeEmpty();
    }

    [Fact]
    public void The_ledger_keeps_only_the_latest_ids()
    {
        var ledger = new DeliveryLedger(LedgerPath, capacity: 3);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            ledger.Add(id);
        }

        var reloaded = new DeliveryLedger(LedgerPath, capacity: 3);
        reloaded.Contains("a").Should().BeFalse();
        new[] { "b", "c", "d" }.Should().OnlyContain(id => reloaded.Contains(id));
    }

    public void Dispose() => _root.Dispose();

    private sealed class FakeQueue : IPromptQueue
    {
        public List<QueuedPrompt> Pending { get; } = [];

        public List<string> Events { get; } = [];

        public bool FailNextAck { get; set; }

        public void Add(string id, string body) => Pending.Add(new QueuedPrompt(id, body));

        public Task<IReadOnlyList<QueuedPrompt>> PendingAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<QueuedPrompt>>([.. Pending]);

        public Task AcknowledgeAsync(string promptId, CancellationToken cancellationToken)
        {
            if (FailNextAck)
            {
                FailNextAck = false;
                throw new HttpRequestException("control API unreachable");
            }

            Events.Add("ack " + promptId);
            Pending.RemoveAll(p => p.Id == promptId);
            return Task.CompletedTask;
        }
    }

    private sealed class FakeAgent(List<string> events) : IAgentInput
    {
        public List<string> Written { get; } = [];

        public bool FailNext { get; set; }

        public Task SendAsync(string prompt, CancellationToken cancellationToken)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new IOException("agent stdin closed");
            }

            Written.Add(prompt);
            events.Add("write " + prompt);
            return Task.CompletedTask;
        }
    }
}
