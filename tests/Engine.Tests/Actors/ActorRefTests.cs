using Messaging.Engine.Actors;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Actors;

public sealed class ActorRefTests
{
    [Fact]
    public async Task An_actor_handles_its_messages_one_at_a_time_in_the_order_each_sender_sent_them()
    {
        await using var kit = new ActorTestKit();
        var seen = new List<(int Sender, int N)>();
        var inside = 0;
        var overlaps = 0;
        var actor = kit.Host.Spawn<(int Sender, int N)>("ordered", () => new LambdaActor<(int, int)>(async (m, _) =>
        {
            if (Interlocked.Increment(ref inside) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            seen.Add(m);
            Interlocked.Decrement(ref inside);
        }));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(sender => Task.Run(async () =>
        {
            for (var n = 0; n < 2_500; n++)
            {
                await actor.TellAsync((sender, n), default);
            }
        })));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref inside) == 0 && seen.Count == 10_000),
            ActorTestKit.Deadline, "all 10,000 messages handled");

        Assert.Equal(0, overlaps);
        for (var sender = 0; sender < 4; sender++)
        {
            Assert.Equal(Enumerable.Range(0, 2_500), seen.Where(m => m.Sender == sender).Select(m => m.N));
        }
    }

    [Fact]
    public async Task Two_actors_handle_messages_at_the_same_time()
    {
        await using var kit = new ActorTestKit();
        var aInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Each actor waits, inside its handler, for the other to be inside its own: only parallel handling finishes.
        var a = kit.Host.Spawn<Probe>("a", () => new LambdaActor<Probe>(async (m, _) =>
        {
            aInside.SetResult();
            await bInside.Task.WaitAsync(ActorTestKit.Deadline);
            m.Reply!.Complete("a done");
        }));
        var b = kit.Host.Spawn<Probe>("b", () => new LambdaActor<Probe>(async (m, _) =>
        {
            bInside.SetResult();
            await aInside.Task.WaitAsync(ActorTestKit.Deadline);
            m.Reply!.Complete("b done");
        }));

        var answers = await Task.WhenAll(
            a.AskAsync<string>(r => new Probe("go", r), ActorTestKit.Deadline, default),
            b.AskAsync<string>(r => new Probe("go", r), ActorTestKit.Deadline, default));

        Assert.Equal(["a done", "b done"], answers);
    }

    [Fact]
    public async Task Ask_returns_the_actors_reply()
    {
        await using var kit = new ActorTestKit();
        var echo = kit.Host.Spawn<Probe>("echo", () => new LambdaActor<Probe>((m, _) =>
        {
            m.Reply!.Complete(m.Text.ToUpperInvariant());
            return ValueTask.CompletedTask;
        }));

        Assert.Equal("HELLO", await echo.AskAsync<string>(r => new Probe("hello", r), ActorTestKit.Deadline, default));
    }

    [Fact]
    public async Task Ask_without_an_answer_within_the_timeout_fails_with_AskTimeoutException_naming_the_actor()
    {
        await using var kit = new ActorTestKit();
        var silent = kit.Host.Spawn<Probe>("silent", () => new LambdaActor<Probe>((_, _) => ValueTask.CompletedTask));

        var failure = await Assert.ThrowsAsync<AskTimeoutException>(() =>
            silent.AskAsync<string>(r => new Probe("anyone?", r), TimeSpan.FromMilliseconds(50), default));

        Assert.Contains("silent did not answer", failure.Message);
    }

    [Fact]
    public async Task Ask_cancelled_by_the_caller_is_cancelled_not_timed_out()
    {
        await using var kit = new ActorTestKit();
        var silent = kit.Host.Spawn<Probe>("silent", () => new LambdaActor<Probe>((_, _) => ValueTask.CompletedTask));
        using var cancel = new CancellationTokenSource();

        var asking = silent.AskAsync<string>(r => new Probe("anyone?", r), ActorTestKit.Deadline, cancel.Token);
        await cancel.CancelAsync();

        var failure = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => asking);
        Assert.IsNotType<AskTimeoutException>(failure);
    }

    [Fact]
    public async Task A_full_mailbox_refuses_TryTell_and_makes_TellAsync_wait_until_there_is_room()
    {
        await using var kit = new ActorTestKit(o => o.MailboxCapacity = 4);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        var actor = kit.Host.Spawn<int>("slow", () => new LambdaActor<int>(async (_, _) =>
        {
            started.TrySetResult();
            await gate.Task;
            Interlocked.Increment(ref handled);
        }));

        Assert.True(actor.TryTell(0));
        await started.Task.WaitAsync(ActorTestKit.Deadline); // message 0 is being handled, the mailbox is empty
        for (var i = 1; i <= 4; i++)
        {
            Assert.True(actor.TryTell(i), $"message {i} should fit");
        }

        Assert.False(actor.TryTell(5));
        var waiting = actor.TellAsync(5, default).AsTask();
        Assert.False(waiting.IsCompleted);

        gate.SetResult();
        await waiting.WaitAsync(ActorTestKit.Deadline);
        await AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref handled) == 6), ActorTestKit.Deadline, "all six handled");
    }

    [Fact]
    public async Task A_failing_handler_restarts_the_actor_from_its_stored_state_and_retries_the_message()
    {
        await using var kit = new ActorTestKit();
        var stored = 0;    // what "storage" holds; each instance loads it when it starts
        var starts = 0;
        var failuresLeft = 2;
        var actor = kit.Host.Spawn<Probe>("flaky", () =>
        {
            var state = -1;
            return new LambdaActor<Probe>(
                (m, _) =>
                {
                    if (m.Text == "fail twice" && failuresLeft-- > 0)
                    {
                        state = 999; // a half-made change, which the restart must throw away
                        throw new InvalidOperationException("boom");
                    }

                    stored = state + 1;
                    m.Reply?.Complete($"state {stored}");
                    return ValueTask.CompletedTask;
                },
                started: _ =>
                {
                    starts++;
                    state = stored;
                    return ValueTask.CompletedTask;
                });
        });

        Assert.Equal("state 1", await actor.AskAsync<string>(r => new Probe("ok", r), ActorTestKit.Deadline, default));
        Assert.Equal("state 2", await actor.AskAsync<string>(r => new Probe("fail twice", r), ActorTestKit.Deadline, default));

        Assert.Equal(3, starts);
        Assert.Empty(kit.DeadLetters.Received);
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_escalated_as_poison_and_the_actor_goes_on_with_the_next()
    {
        await using var kit = new ActorTestKit(o => o.MaxConsecutiveFailures = 3);
        var attempts = 0;
        var actor = kit.Host.Spawn<Probe>("picky", () => new LambdaActor<Probe>((m, _) =>
        {
            if (m.Text == "poison")
            {
                Interlocked.Increment(ref attempts);
                throw new FormatException("cannot digest");
            }

            m.Reply?.Complete("fine");
            return ValueTask.CompletedTask;
        }));

        var poison = await Assert.ThrowsAsync<PoisonMessageException>(() =>
            actor.AskAsync<string>(r => new Probe("poison", r), ActorTestKit.Deadline, default));
        var next = await actor.AskAsync<string>(r => new Probe("next", r), ActorTestKit.Deadline, default);

        Assert.Equal(3, attempts);
        Assert.Equal(3, poison.Attempts);
        Assert.IsType<FormatException>(poison.InnerException);
        Assert.Contains("cannot digest", poison.Message);
        Assert.Equal("fine", next);
        var dead = Assert.Single(kit.DeadLetters.Received);
        Assert.Equal(("picky", 3), (dead.Actor, dead.Attempts));
        Assert.Equal("FormatException: cannot digest", dead.Reason);
    }

    [Fact]
    public async Task A_poison_Tell_without_a_reply_is_published_as_a_dead_letter()
    {
        await using var kit = new ActorTestKit(o => o.MaxConsecutiveFailures = 2);
        var actor = kit.Host.Spawn<Probe>("picky", () => new LambdaActor<Probe>((_, _) => throw new InvalidOperationException("no")));

        await actor.TellAsync(new Probe("told"), default);

        await AwaitCondition.UntilAsync(() => Task.FromResult(!kit.DeadLetters.Received.IsEmpty), ActorTestKit.Deadline, "a dead letter");
        var dead = Assert.Single(kit.DeadLetters.Received);
        Assert.Equal(new Probe("told"), dead.Message);
        Assert.Equal(2, dead.Attempts);
    }
}
