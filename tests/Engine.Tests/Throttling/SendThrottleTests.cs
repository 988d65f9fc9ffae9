using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Engine.Tests.Throttling;

public sealed class SendThrottleTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>A clock whose timers fire as it is moved (the pump's naps, the window's door), from ManualTimeProvider's start.</summary>
    private static FakeTimeProvider FakeClock() => new(new ManualTimeProvider().GetUtcNow());

    /// <summary>One call through the window, answered the moment it starts.</summary>
    private static async Task CallAsync(SendThrottle throttle) => throttle.LeaveWindow(await throttle.EnterWindowAsync(null, default));

    /// <summary><paramref name="count"/> calls, each answered at once, the clock moved <paramref name="spacing"/> after each.</summary>
    private static async Task CallsSpacedAsync(SendThrottle throttle, ManualTimeProvider time, int count, TimeSpan spacing)
    {
        for (var i = 0; i < count; i++)
        {
            await CallAsync(throttle);
            time.Advance(spacing);
        }
    }

    [Fact]
    public async Task Waiting_high_priority_callers_get_permits_before_earlier_low_priority_ones()
    {
        await using var throttle = new SendThrottle("email", 5, priorities: 2, TimeProvider.System);
        await throttle.AcquireAsync(1, default); // the pacing clock starts: the next permit is 200 ms away
        var order = new List<string>();
        var low = Enumerable.Range(0, 3).Select(i => Granted(throttle.AcquireAsync(1, default), $"low{i}", order)).ToList();
        var high = Enumerable.Range(0, 2).Select(i => Granted(throttle.AcquireAsync(0, default), $"high{i}", order)).ToList();

        await Task.WhenAll(low.Concat(high)).WaitAsync(Deadline);

        Assert.Equal(["high0", "high1", "low0", "low1", "low2"], order);
    }

    [Fact]
    public async Task No_more_calls_than_the_limit_enter_any_one_second_window()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 5, priorities: 1, time);
        for (var i = 0; i < 5; i++)
        {
            await CallAsync(throttle);
        }

        var sixth = CallAsync(throttle);
        Assert.False(sixth.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1.01));
        await sixth.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_step_of_the_wall_clock_neither_ends_the_places_in_the_window_nor_holds_them()
    {
        // A time sync or a resumed virtual machine moves the wall clock an hour on: the window keeps its second on the
        // steady clock, so the places held now still end a second after their calls, not at once.
        var time = new ManualTimeProvider();
        var clock = new SteppedWallClock(time);
        await using var throttle = new SendThrottle("email", 5, priorities: 1, clock);
        for (var i = 0; i < 5; i++)
        {
            await CallAsync(throttle);
        }

        clock.Step(TimeSpan.FromHours(1));
        var sixth = CallAsync(throttle);
        Assert.False(sixth.IsCompleted, "the wall clock's step ended the places in the window");

        // Nor does a step back hold them past their second.
        clock.Step(TimeSpan.FromHours(-2));
        time.Advance(TimeSpan.FromSeconds(1.01));
        await sixth.WaitAsync(Deadline);
        Assert.Equal(time.GetUtcNow() - TimeSpan.FromHours(1), throttle.LastCallAt);
    }

    [Fact]
    public async Task A_call_holds_its_place_in_the_window_until_a_second_after_its_answer()
    {
        // The provider counts a call somewhere between its start and its answer: a slow call (a cold connection) may
        // arrive late, in the same provider second as calls started a second after it. Its place is freed from its answer.
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 2, priorities: 1, time);
        var slow = await throttle.EnterWindowAsync(null, default);
        await CallAsync(throttle);

        time.Advance(TimeSpan.FromMilliseconds(300));
        throttle.LeaveWindow(slow);
        time.Advance(TimeSpan.FromMilliseconds(800));
        // 1.1 s after both started, 1 s after the fast one's answer: one place is free, the slow one's is not.
        await CallAsync(throttle).WaitAsync(Deadline);
        var third = CallAsync(throttle);
        Assert.False(third.IsCompleted, "a call entered less than a second after the slow call's answer");

        time.Advance(TimeSpan.FromMilliseconds(200));
        await third.WaitAsync(Deadline);
    }

    [Fact]
    public async Task While_every_place_is_held_by_an_open_call_the_next_waits_for_a_second_after_the_first_answer()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 2, priorities: 1, time);
        var first = await throttle.EnterWindowAsync(null, default);
        await throttle.EnterWindowAsync(null, default);
        var third = CallAsync(throttle);

        time.Advance(TimeSpan.FromSeconds(5));
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.WindowWaits >= 1), Deadline, "the third call waits at the window");
        Assert.False(third.IsCompleted, "a call entered while two calls were open at a limit of two");

        throttle.LeaveWindow(first);
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.WindowWaits >= 2), Deadline, "the third call looks again once the first is answered");
        Assert.False(third.IsCompleted, "a call entered the moment an open call was answered");
        time.Advance(TimeSpan.FromSeconds(1));
        await third.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_call_waiting_at_a_full_window_is_not_overtaken_by_one_that_comes_as_its_place_ends()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 1, priorities: 1, time);
        await CallAsync(throttle);
        var waiting = throttle.EnterWindowAsync(null, default).AsTask();
        Assert.False(waiting.IsCompleted, "a call entered a full window");

        // The place ends; a newcomer arrives before anyone looked at the window again. The one in line goes first.
        time.Advance(SendThrottle.Window);
        var newcomer = throttle.EnterWindowAsync(null, default).AsTask();
        var first = await waiting.WaitAsync(Deadline);
        Assert.False(newcomer.IsCompleted, "a newcomer took the place of a call already waiting for it");

        throttle.LeaveWindow(first);
        time.Advance(SendThrottle.Window);
        await newcomer.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Callers_waiting_at_the_window_enter_in_the_order_they_came_as_places_end()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 3, priorities: 1, time);
        await CallsSpacedAsync(throttle, time, 3, TimeSpan.FromMilliseconds(100));

        // Places end at 1.0, 1.1 and 1.2 s; five callers wait, the third one gives up.
        using var givesUp = new CancellationTokenSource();
        var waiting = Enumerable.Range(0, 5).Select(i => throttle.EnterWindowAsync(null, i == 2 ? givesUp.Token : default).AsTask()).ToList();
        await givesUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting[2]);

        time.Advance(TimeSpan.FromMilliseconds(750)); // 1.05 s: the first place has ended
        var entered = await waiting[0].WaitAsync(Deadline);
        Assert.Equal(time.GetUtcNow(), entered);
        time.Advance(TimeSpan.FromMilliseconds(100)); // 1.15 s: the second
        await waiting[1].WaitAsync(Deadline);
        Assert.False(waiting[3].IsCompleted || waiting[4].IsCompleted, "a caller entered before a place ended for it");
        time.Advance(TimeSpan.FromMilliseconds(100)); // 1.25 s: the third, for the next in line (the cancelled one's turn passed)
        await waiting[3].WaitAsync(Deadline);
        Assert.False(waiting[4].IsCompleted, "more callers entered than places ended");

        // Every place is now held by an open call: the last waits for an answer, then for a second after it.
        throttle.LeaveWindow(entered);
        time.Advance(SendThrottle.Window);
        await waiting[4].WaitAsync(Deadline);
    }

    [Fact]
    public async Task Permits_are_paced_at_what_the_window_lets_through_when_calls_take_time()
    {
        // Each call holds its place for a second after its answer: calls taking 100 ms let 10 through in 1.1 s, not 1 s.
        // Permits paced any faster would pile their sends up at the window, each with its intent already durable. (From
        // about 15/s up a percent faster keeps a short line there, bounded: the next test. At 10/s a line of one would
        // keep each call waiting most of a second.)
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 10, priorities: 1, time);
        // After the quiet spell's burst (a quarter second's permits: two at 10/s), one every 110 ms.
        Assert.All(await GapsAfterOneCallAsync(throttle, time, TimeSpan.FromMilliseconds(100)), gap => Assert.Equal(110, gap));
    }

    [Fact]
    public async Task Ahead_of_a_full_window_permits_stop_at_a_short_line_and_one_never_used_stops_counting()
    {
        // 100/s, every place held by a call still open: a permit's call would wait. At most 100 × 70 ms = 7 go out.
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);
        var permits = await PermitsAheadOfAFullWindowAsync(throttle, time);
        Assert.Equal(7, permits.Count(p => p.IsCompleted));

        // Their callers never come (they stopped): a second and a lead after they went out, seven more may go. (A caller
        // that comes takes its permit off at once: SendGate passes it to the window.)
        await MoveTheClockAsync(throttle, time.Advance, TimeSpan.FromSeconds(1));
        Assert.Equal(14, permits.Count(p => p.IsCompleted));
    }

    [Fact]
    public async Task A_permit_given_back_unused_stops_counting_against_the_line_at_once()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);
        var permits = await PermitsAheadOfAFullWindowAsync(throttle, time);
        var granted = GrantedOf(permits);
        Assert.Equal(7, granted.Count);

        // Three of the sends will not be made (their message ids were taken): three more permits go well before the
        // given-back ones would have stopped counting on their own (a second and a lead).
        foreach (var permit in granted.Take(3))
        {
            throttle.GiveBack(permit);
        }

        await MoveTheClockAsync(throttle, time.Advance, TimeSpan.FromMilliseconds(100));
        Assert.Equal(10, permits.Count(p => p.IsCompleted));
    }

    [Fact]
    public async Task At_one_per_second_a_permit_given_back_unused_lets_the_next_go_without_waiting_out_its_second()
    {
        // An SMS origination's 1/s: the first permit goes at once, the next is due a second later, and the first's send
        // turns out a duplicate.
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("sms", 1, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        var first = await throttle.AcquireAsync(0, default);
        var naps = throttle.Naps;
        var next = throttle.AcquireAsync(0, default).AsTask();
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.Naps > naps), Deadline, "the pump naps until the next slot");
        throttle.GiveBack(first);

        // Its slot is free again: the next permit goes when the pump next looks, not a second (less its lead) later.
        await MoveTheClockAsync(throttle, time.Advance, SendThrottle.MaxNap, SendThrottle.MaxNap);
        Assert.True(next.IsCompleted);

        // The slot went once: the permit after it waits out the pace again.
        var after = throttle.AcquireAsync(0, default).AsTask();
        await MoveTheClockAsync(throttle, time.Advance, 2 * SendThrottle.MaxNap, SendThrottle.MaxNap);
        Assert.False(after.IsCompleted);
    }

    [Fact]
    public async Task At_five_per_second_a_permit_given_back_unused_lets_a_later_one_go_an_interval_sooner()
    {
        // Below the rate that keeps a line, each slot waits a second after the slot five permits before it. The third
        // of seven permits turns out a duplicate after the fifth went: the sixth takes its slot, 0.8 s after the first
        // instead of a second, and the seventh keeps the pace (five used slots in any second).
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("sms", 5, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        var permits = Enumerable.Range(0, 7).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();

        await MoveTheClockUntilAsync(throttle, time, () => permits[4].IsCompleted);
        throttle.GiveBack(await permits[2]);
        await MoveTheClockUntilAsync(throttle, time, () => permits[6].IsCompleted);

        var slots = GrantedOf(permits).Select(p => p.SlotAt).ToList();
        Assert.Equal(TimeSpan.FromMilliseconds(800), slots[5] - slots[0]);
        Assert.Equal(TimeSpan.FromSeconds(1), slots[6] - slots[0]);
    }

    [Fact]
    public async Task Callers_waiting_at_a_full_window_keep_counting_however_long_they_wait()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);
        var permits = await PermitsAheadOfAFullWindowAsync(throttle, time);
        var granted = GrantedOf(permits);
        Assert.Equal(7, granted.Count);

        // Their callers come and wait in line (every place is held by a call still open): a second later they are
        // still the line, so no more permits go.
        var waiting = granted.Select(p => throttle.EnterWindowAsync(p, default).AsTask()).ToList();
        await MoveTheClockAsync(throttle, time.Advance, TimeSpan.FromSeconds(1.2));
        Assert.Equal(7, permits.Count(p => p.IsCompleted));
        Assert.DoesNotContain(waiting, w => w.IsCompleted);
    }

    [Fact]
    public async Task While_callers_are_on_their_way_permits_stop_once_they_would_fill_the_free_places_and_a_line()
    {
        // 100/s, an empty window, and no caller ever reaches it (their intents' commit is stalled). Permits fill the
        // window's 100 free places and the line of 7, then stop: a stalled commit does not pile up a second's sends
        // with their intents about to be durable.
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        var permits = Enumerable.Range(0, 300).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        await MoveTheClockAsync(throttle, time.Advance, TimeSpan.FromSeconds(1), SendThrottle.SlotGrid);

        // The pace alone would have handed out the quarter second's burst and a second's worth by now (about 130).
        Assert.Equal(107, permits.Count(p => p.IsCompleted));
    }

    /// <summary>The permits handed out so far, in the order they were asked for.</summary>
    private static List<SendPermit> GrantedOf(List<Task<SendPermit>> permits) =>
        permits.Where(p => p.IsCompleted).Select(p => p.Result).ToList();

    /// <summary>Fills the window with calls still open, asks for 30 permits and gives the pump 300 ms to hand them out.</summary>
    private static async Task<List<Task<SendPermit>>> PermitsAheadOfAFullWindowAsync(SendThrottle throttle, ManualTimeProvider time)
    {
        for (var i = 0; i < throttle.Limit; i++)
        {
            await throttle.EnterWindowAsync(null, default);
        }

        var permits = Enumerable.Range(0, 30).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        await MoveTheClockAsync(throttle, time.Advance, TimeSpan.FromMilliseconds(300));
        return permits;
    }

    /// <summary>Moves the clock <paramref name="step"/> (5 ms unless given) at a time, each step once the pump has looked at the last.</summary>
    private static async Task MoveTheClockAsync(SendThrottle throttle, Action<TimeSpan> advance, TimeSpan span, TimeSpan? step = null)
    {
        var by = step ?? TimeSpan.FromMilliseconds(5);
        for (var moved = TimeSpan.Zero; moved < span; moved += by)
        {
            await StepTheClockAsync(throttle, advance, by);
        }
    }

    /// <summary>Moves the clock <paramref name="by"/>, then waits until the pump has looked at the new time (napped again or granted).</summary>
    private static async Task StepTheClockAsync(SendThrottle throttle, Action<TimeSpan> advance, TimeSpan by)
    {
        var naps = throttle.Naps;
        var granted = throttle.Granted;
        advance(by);
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.Naps > naps || throttle.Granted > granted),
            Deadline, "the pump looks at the new time");
    }

    /// <summary>
    /// Moves the clock a permit's lead at a time, each step once the pump has looked at the last, until
    /// <paramref name="done"/>: at rates with no grid, a slot on a multiple of the lead is granted exactly on it.
    /// </summary>
    private static async Task MoveTheClockUntilAsync(SendThrottle throttle, ManualTimeProvider time, Func<bool> done)
    {
        for (var step = 0; step < 200 && !done(); step++)
        {
            await StepTheClockAsync(throttle, time.Advance, TimeSpan.FromMilliseconds(50));
        }

        Assert.True(done(), "not done within 200 steps");
    }

    /// <summary>One call taking <paramref name="duration"/>, a quiet spell, then six permits: the gaps between paced slots after the burst, in ms.</summary>
    private static async Task<List<double>> GapsAfterOneCallAsync(SendThrottle throttle, ManualTimeProvider time, TimeSpan duration)
    {
        var call = await throttle.EnterWindowAsync(null, default);
        time.Advance(duration);
        throttle.LeaveWindow(call, answered: true);
        time.Advance(TimeSpan.FromSeconds(5));

        var permits = Enumerable.Range(0, 6).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        // The clock moves in steps well inside a permit's lead, each only once the pump has looked at the last one, so
        // every permit is handed out before its slot comes and carries the slot the pace gave it.
        for (var step = 0; step < 200 && !permits.TrueForAll(p => p.IsCompleted); step++)
        {
            var naps = throttle.Naps;
            var granted = permits.Count(p => p.IsCompleted);
            time.Advance(TimeSpan.FromMilliseconds(5));
            await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.Naps > naps || permits.Count(p => p.IsCompleted) > granted),
                Deadline, "the pump looks at the new time");
        }

        var slots = (await Task.WhenAll(permits)).Select(p => p.SlotAt).Order().ToList();
        return slots.Zip(slots.Skip(1), (a, b) => Math.Round((b - a).TotalMilliseconds, 1)).Skip(2).ToList();
    }

    [Fact]
    public async Task Known_provider_work_is_taken_off_each_place_so_calls_taking_100_ms_are_paced_at_the_limit()
    {
        // The provider counts a call at least 100 ms before its answer reaches us: a place ends a second after the
        // provider counted the call at the latest, so ten calls of 100 ms go in a second, not 1.1 s.
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 10, priorities: 1, time, providerWork: TimeSpan.FromMilliseconds(100));
        Assert.All(await GapsAfterOneCallAsync(throttle, time, TimeSpan.FromMilliseconds(100)), gap => Assert.Equal(100, gap));
    }

    [Fact]
    public async Task With_known_provider_work_a_place_ends_a_second_after_the_provider_counted_the_call_and_not_before()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 1, priorities: 1, time, providerWork: TimeSpan.FromMilliseconds(100));

        // Answered 300 ms after it started: the provider counted it 200 ms in at the latest, so its place ends at 1.2 s.
        var first = await throttle.EnterWindowAsync(null, default);
        time.Advance(TimeSpan.FromMilliseconds(300));
        throttle.LeaveWindow(first, answered: true);
        var second = throttle.EnterWindowAsync(null, default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(899));
        Assert.False(second.IsCompleted, "the place was given up before a second after the provider could have counted the call");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var secondAt = await second.WaitAsync(Deadline);
        Assert.Equal(first + TimeSpan.FromMilliseconds(1200), secondAt);

        // Answered sooner than the provider's work (a failure before it reached the provider): never before a second
        // after the call entered.
        time.Advance(TimeSpan.FromMilliseconds(20));
        throttle.LeaveWindow(secondAt, answered: true);
        var third = throttle.EnterWindowAsync(null, default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(979));
        Assert.False(third.IsCompleted, "the place ended before a second after its call entered");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(secondAt + SendThrottle.Window, await third.WaitAsync(Deadline));
    }

    [Fact]
    public async Task After_a_quiet_spell_a_quarter_seconds_permits_go_at_once_and_the_rest_are_paced()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 40, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        var start = time.GetUtcNow();

        // Eleven requests arrive together (a receive's worth and one), well below 40/s over the last seconds.
        var permits = Enumerable.Range(0, 11).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        await Task.WhenAll(permits).WaitAsync(Deadline);

        // 40/s for 250 ms is ten permits now; the next is paced 25 ms on, less a percent (handed out up to 50 ms ahead
        // of its slot).
        var slots = permits.Select(p => Math.Round((p.Result.SlotAt - start).TotalMilliseconds, 2)).Order().ToList();
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24.75], slots);
    }

    [Fact]
    public async Task Below_the_rate_that_keeps_a_line_permits_never_run_ahead_of_the_window_after_a_burst()
    {
        // 10/s keeps no line at the window (10 × 70 ms is under one caller), so nothing else would bound the calls
        // waiting there.
        await using var throttle = new SendThrottle("email", 10, priorities: 1, TimeProvider.System);

        // More demand than the rate, from a quiet start: a quarter second's permits (two) go at once, then they are paced.
        var permits = Enumerable.Range(0, 22).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        await Task.WhenAll(permits).WaitAsync(Deadline);

        // Each slot is a second after the slot 10 permits before it, or later. A burst followed by full-rate pacing
        // would put the 11th slot an interval early, and those calls would wait at the window with their intents
        // durable for as long as the demand lasted.
        var slots = permits.Select(p => p.Result.SlotAt).Order().ToList();
        Assert.Equal(2, slots.Count(s => s - slots[0] < TimeSpan.FromMilliseconds(25)));
        var early = Enumerable.Range(10, slots.Count - 10).Where(n => slots[n] - slots[n - 10] < SendThrottle.Window)
            .Select(n => $"#{n} {(slots[n] - slots[n - 10]).TotalMilliseconds:0} ms after #{n - 10}").ToList();
        Assert.True(early.Count == 0, string.Join(", ", early));
    }

    [Fact]
    public async Task At_the_limit_a_burst_then_demand_at_the_rate_never_leaves_the_bursts_worth_waiting_at_the_window()
    {
        // 100/s keeps a line of 100 × 70 ms = 7 callers: no permit goes once the callers waiting at the window or on
        // their way would fill every place free by their arrival and leave that many waiting. Permits may run ahead of
        // the window's second (so the places a stall left empty are refilled at once), but the burst's worth (about
        // 30) never waits at the window behind demand at the rate.
        var time = FakeClock();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        var (entered, mostWaiting) = await CallersAtTheLimitAsync(throttle, time.Advance, TimeSpan.FromSeconds(2));

        // The demand outlasted the window's first second (a full window and its places ending, the burst's at once),
        // and callers waited there: about the line (docs/benchmarks.md gives what the earlier bounds let wait).
        Assert.True(entered.Count > 150, $"{entered.Count} calls in 2 s");
        Assert.True(mostWaiting is >= 1 and <= 14, $"at most {mostWaiting} waiting, {entered.Count} calls");
    }

    [Fact]
    public async Task At_the_limit_callers_a_quarter_second_on_their_way_still_fill_every_place_the_window_frees()
    {
        // 50/s keeps a line of 50 × 70 ms = 3, but each caller takes 260 ms from its permit to the window (a slow
        // commit of its intent): some 13 are always on their way. Counted against the line as if they were waiting,
        // they held the permits back until places stood free, and the window passed about 40 a second.
        var time = FakeClock();
        await using var throttle = new SendThrottle("email", 50, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        var start = time.GetUtcNow();
        var (entered, mostWaiting) = await CallersAtTheLimitAsync(throttle, time.Advance, TimeSpan.FromSeconds(5), wayInSteps: 13);

        // The last two seconds, long after the first burst: the window's full 50 a second.
        var late = entered.Count(at => at >= start + TimeSpan.FromSeconds(3));
        var seconds = string.Join(" ", entered.GroupBy(at => (int)(at - start).TotalSeconds).Select(g => $"{g.Key}s:{g.Count()}"));
        Assert.True(late >= 98, $"{late} calls in the last 2 s at 50/s ({seconds}; at most {mostWaiting} waiting)");
        Assert.True(mostWaiting <= 6, $"at most {mostWaiting} waiting");
    }

    /// <summary>
    /// Demand above the limit for <paramref name="span"/> of the clock, moved a slot step at a time: each caller reaches
    /// the window <paramref name="wayInSteps"/> steps after its permit (its intent being made durable meanwhile), and
    /// each call is answered the moment it starts. Returns when each call entered and the most callers ever waiting at
    /// the window.
    /// </summary>
    private static async Task<(List<DateTimeOffset> Entered, int MostWaiting)> CallersAtTheLimitAsync(
        SendThrottle throttle, Action<TimeSpan> advance, TimeSpan span, int wayInSteps = 1)
    {
        var permits = Enumerable.Range(0, (int)(throttle.Limit * (span.TotalSeconds + 1))).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        var used = new HashSet<Task<SendPermit>>();
        var onTheirWay = new Queue<(int Step, SendPermit Permit)>();
        var calls = new List<Task<DateTimeOffset>>();
        var entered = new List<DateTimeOffset>();
        var mostWaiting = 0;
        var step = 0;
        for (var moved = TimeSpan.Zero; moved < span; moved += SendThrottle.SlotGrid, step++)
        {
            await MoveTheClockAsync(throttle, advance, SendThrottle.SlotGrid, SendThrottle.SlotGrid);
            while (onTheirWay.TryPeek(out var next) && next.Step + wayInSteps <= step)
            {
                calls.Add(throttle.EnterWindowAsync(onTheirWay.Dequeue().Permit, default).AsTask());
            }

            foreach (var permit in permits.Where(p => p.IsCompleted && used.Add(p)).ToList())
            {
                onTheirWay.Enqueue((step, await permit));
            }

            // (Some let in by the door's timer since the last step: answered now.)
            foreach (var call in calls.Where(c => c.IsCompleted).ToList())
            {
                calls.Remove(call);
                var at = await call;
                entered.Add(at);
                throttle.LeaveWindow(at, answered: true);
            }

            mostWaiting = Math.Max(mostWaiting, calls.Count);
        }

        return (entered, mostWaiting);
    }

    [Fact]
    public async Task At_500_per_second_paced_permits_share_20_ms_steps_and_the_pump_wakes_once_a_step_at_the_same_pace()
    {
        // The clock moves by hand, a step at a time once the pump has gone to sleep, so a stall of this process (its
        // thread pool starved by the test host) cannot look like a quiet spell.
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 500, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));

        // The quarter second's burst after a quiet start (125 permits at once) out of the way first.
        await Task.WhenAll(Enumerable.Range(0, 125).Select(_ => throttle.AcquireAsync(0, default).AsTask())).WaitAsync(Deadline);

        // Then 275 more, paced at 500/s (0.55 s).
        var napsBefore = throttle.Naps;
        var permits = Enumerable.Range(0, 275).Select(_ => throttle.AcquireAsync(0, default).AsTask()).ToList();
        while (!permits.TrueForAll(p => p.IsCompleted))
        {
            var naps = throttle.Naps;
            await AwaitCondition.UntilAsync(
                () => Task.FromResult(throttle.Naps > naps || permits.TrueForAll(p => p.IsCompleted)), Deadline, "the pump sleeps or is done");
            time.Advance(SendThrottle.SlotGrid);
        }

        var paced = permits.Select(p => p.Result.SlotAt).Order().ToList();
        var offGrid = paced.Where(s => s.UtcTicks % SendThrottle.SlotGrid.Ticks != 0).ToList();
        Assert.True(offGrid.Count == 0, $"{offGrid.Count} paced slots off the 20 ms grid");
        // Ten permits a step, the rate kept: the last slot is 274 intervals after the first, give or take a step.
        var steps = paced.Distinct().ToList();
        Assert.InRange(paced.Count / (double)steps.Count, 9, 11);
        var interval = SendThrottle.Window.TotalMilliseconds / 500;
        Assert.InRange((paced[^1] - paced[0]).TotalMilliseconds, (274 * interval) - 20, (274 * interval) + 20);
        // The pump sleeps about once a step (more when this test is slow to move the clock), not once a permit: 275
        // naps or more before the grid.
        Assert.InRange(throttle.Naps - napsBefore, 1, 275 / 2);
    }

    [Fact]
    public async Task A_call_half_a_millisecond_from_room_in_the_window_waits_on_a_timer_rather_than_spinning()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 5, priorities: 1, time);
        for (var i = 0; i < 5; i++)
        {
            await CallAsync(throttle);
        }

        time.Advance(SendThrottle.Window - TimeSpan.FromMilliseconds(0.5));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // On a pool thread: Task.Delay drops a wait's fraction of a millisecond, so a call asking for 0.5 ms would get
        // no wait at all and go round again on this thread, without end while the clock stands still.
        var sixth = Task.Run(() => CallAsync(throttle));
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.WindowWaits >= 1), Deadline, "the sixth call waits at the window");
        Assert.False(sixth.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(0.5));
        await sixth.WaitAsync(Deadline);

        // On a timer it looks again about once a millisecond of real time; spinning, tens of thousands of times.
        Assert.InRange(throttle.WindowWaits, 1, (long)watch.Elapsed.TotalMilliseconds + 10);
    }

    [Fact]
    public async Task A_new_share_keeps_the_last_seconds_calls_so_a_rebalance_allows_no_burst()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 10, priorities: 1, time);
        await CallsSpacedAsync(throttle, time, 10, TimeSpan.FromMilliseconds(10));

        // A node left: this node's share doubles. The 10 calls of the last 100 ms still count against the new 20.
        throttle.SetLimit(20);
        for (var i = 0; i < 10; i++)
        {
            await CallAsync(throttle).WaitAsync(Deadline);
        }

        var overTwenty = CallAsync(throttle);
        Assert.False(overTwenty.IsCompleted);

        // A node joined: the share falls to 5. The newest 5 calls are kept, so the next waits for them to age out.
        throttle.SetLimit(5);
        time.Advance(TimeSpan.FromSeconds(1.01));
        await overTwenty.WaitAsync(Deadline);
        Assert.Equal(time.GetUtcNow(), throttle.LastCallAt);
        // Down to 2: the call just made still counts, so one more goes and the one after waits.
        throttle.SetLimit(2);
        await CallAsync(throttle).WaitAsync(Deadline);
        var third = CallAsync(throttle);
        Assert.False(third.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1.01));
        await third.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_new_limit_moves_the_pace_with_it_at_once_keeping_a_slowdown_from_throttling()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 1, priorities: 1, time);

        // The account's rate read at start: followed at once, not climbed to at 5 % of it a second.
        throttle.SetLimit(500);
        Assert.Equal(500, throttle.CurrentRate);

        // Throttled well below the limit: half the pace. The share then doubles (a node left): still half of it.
        throttle.OnThrottled();
        throttle.SetLimit(1_000);
        Assert.Equal(500, throttle.CurrentRate);
        throttle.SetLimit(100);
        Assert.Equal(50, throttle.CurrentRate);
    }

    [Fact]
    public async Task Provider_throttling_halves_the_pace_once_a_second_and_quiet_seconds_bring_it_back()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);

        throttle.OnThrottled();
        throttle.OnThrottled(); // within the same second: ignored
        Assert.Equal(50, throttle.CurrentRate);
        Assert.Equal(2, throttle.ThrottledCount);

        time.Advance(TimeSpan.FromSeconds(2));
        await throttle.AcquireAsync(0, default).AsTask().WaitAsync(Deadline); // the pump recovers as it hands out a permit

        Assert.Equal(60, throttle.CurrentRate, precision: 6); // + 5 % of the limit per quiet second
        Assert.Equal(100, throttle.Limit);
    }

    [Fact]
    public async Task Throttled_while_our_last_second_was_at_the_limit_eases_off_by_half_a_percent_not_half()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 10, priorities: 1, time);
        for (var i = 0; i < 10; i++)
        {
            await CallAsync(throttle);
        }

        // Our window was full, so the provider saw the same calls a little bunched: its clock, not a lower rate.
        throttle.OnThrottled();
        Assert.Equal(9.95, throttle.CurrentRate, precision: 6);

        // A second later, with nothing sent since, a 429 means the account's rate is really lower.
        time.Advance(TimeSpan.FromSeconds(1.5));
        throttle.OnThrottled();
        Assert.Equal(4.975, throttle.CurrentRate, precision: 6);
    }

    [Fact]
    public async Task A_429_in_the_first_second_of_sending_at_the_rate_eases_off_rather_than_halving()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 10, priorities: 1, time);
        time.Advance(TimeSpan.FromSeconds(5));
        await CallsSpacedAsync(throttle, time, 5, TimeSpan.FromMilliseconds(100));

        // Five calls in the half second since sending began is the limit's pace: the window is not full yet, but
        // the engine was at the limit all along.
        throttle.OnThrottled();
        Assert.Equal(9.95, throttle.CurrentRate, precision: 6);
    }

    [Fact]
    public async Task A_429_just_after_a_seconds_burst_at_the_limit_eases_off_rather_than_halving()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 10, priorities: 1, time);
        for (var i = 0; i < 10; i++)
        {
            await CallAsync(throttle);
        }

        // The ten calls went at the start of the second just gone, so none is "in the last second" any more, but
        // ten calls in 1.05 s is the limit.
        time.Advance(TimeSpan.FromSeconds(1.05));
        throttle.OnThrottled();
        Assert.Equal(9.95, throttle.CurrentRate, precision: 6);
    }

    [Fact]
    public async Task A_pause_holds_every_permit_until_it_ends()
    {
        var time = new ManualTimeProvider();
        await using var throttle = new SendThrottle("email", 100, priorities: 1, time);
        throttle.PauseUntil(time.GetUtcNow().AddMinutes(15));

        var naps = throttle.Naps;
        var waiting = throttle.AcquireAsync(0, default).AsTask();
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.Naps >= naps + 2), Deadline, "the pump looks twice at the paused line");
        Assert.False(waiting.IsCompleted, "a permit went out during the pause");
        Assert.Equal(0, throttle.Granted);

        time.Advance(TimeSpan.FromMinutes(15));
        await waiting.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_line_and_the_next_caller_gets_the_permit()
    {
        await using var throttle = new SendThrottle("email", 2, priorities: 1, TimeProvider.System);
        await throttle.AcquireAsync(0, default);
        using var cancel = new CancellationTokenSource();
        var cancelled = throttle.AcquireAsync(0, cancel.Token).AsTask();
        var next = throttle.AcquireAsync(0, default).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await next.WaitAsync(Deadline);
        Assert.Equal(2, throttle.Granted);
    }

    /// <summary>A wall clock that can step away from <paramref name="steady"/>, whose timestamps and timers it keeps.</summary>
    private sealed class SteppedWallClock(ManualTimeProvider steady) : TimeProvider
    {
        private long _stepTicks;

        public void Step(TimeSpan by) => Interlocked.Add(ref _stepTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => steady.GetUtcNow().AddTicks(Interlocked.Read(ref _stepTicks));

        public override long TimestampFrequency => steady.TimestampFrequency;

        public override long GetTimestamp() => steady.GetTimestamp();
    }

    private static async Task Granted(ValueTask<SendPermit> permit, string name, List<string> order)
    {
        await permit;
        lock (order)
        {
            order.Add(name);
        }
    }
}
