namespace Messaging.Engine.Throttling;

/// <summary>
/// The send rate of one channel, in two steps. <see cref="AcquireAsync"/> waits for a permit: one pump hands them out
/// evenly spaced at the current rate, to the highest-priority waiter first (priority 0 before 1), each a little ahead of
/// its paced slot, so the caller can make its send intent durable meanwhile; the call then goes to the window
/// (<see cref="EnterWindowAsync"/>) at once, which lets it in when a place is free. Two guarantees:
/// <list type="bullet">
/// <item>No 1-second window <b>of the provider's clock</b> ever holds more than <see cref="Limit"/> calls. A call holds a
/// place in the window from just before it starts (<see cref="EnterWindowAsync"/>) until a second after its answer
/// (<see cref="LeaveWindow"/>), and enters only while fewer than <c>Limit</c> places are held. The provider counts a call
/// somewhere between those two moments, so of any <c>Limit + 1</c> calls the last to enter did so while the others
/// still held their places — they cannot all fall into one provider second, however late a cold connection, a busy
/// machine or the network delivers them.</item>
/// <item>While there is work, permits flow at the rate the window lets through — the limit per second plus the calls'
/// recent duration (a percent faster while a line is kept, below): the pacing clock advances by whole intervals, so a late
/// wake-up is caught up rather than lost (the window above still caps the catch-up). After a quiet spell a quarter
/// second's permits may go at once, so requests that arrive together below the rate do not wait for each other.
/// At the limit (from about 15/s up) the pace runs a percent ahead of the window, so a short line of callers waits there
/// and a place that ends is taken at once (paced exactly, the window lost about 0.3 % of the limit to places left empty
/// while the next callers were still on their way); the line is bounded: no more permits go once the callers waiting
/// there or on their way would fill every place free by the time a new caller usually arrives (measured: permit to
/// window) and leave <c>Limit × 70 ms</c> of them waiting; a permit given back (<see cref="GiveBack"/>), or out for a
/// second and a lead without reaching the window, no longer counts: its send will not be made. Below that, no permit's
/// slot comes sooner than a second after the slot handed out <c>Limit</c> permits before it.</item>
/// </list>
/// When the provider is known to take at least <c>providerWork</c> between counting a call and our reading its answer
/// (its own work on a send), a place is held until a second after the answer less that time: the provider still
/// counted the call before then, so the guarantee stands, and at a steady round trip the rate reaches the limit instead
/// of <c>limit × 1 s ÷ (1 s + round trip)</c> (docs/pipeline.md gives the argument).
/// When the provider throttles anyway, <see cref="OnThrottled"/> slows the pace (at most once a second): by 0.5 % when our
/// own rate was at the limit (the provider's clock saw our calls a little bunched), by half when it was well
/// below (the account's real rate is lower); every quiet second then adds back a twentieth of the limit (AIMD).
/// </summary>
public sealed class SendThrottle : IAsyncDisposable, IDisposable
{
    private const double RecoveryPerSecond = 0.05;
    private const double AtLimitDecrease = 0.995;

    // A call's place in the window is held for this long after its answer.
    internal static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    // How much each call's duration moves the average the pace allows for.
    private const double DurationWeight = 0.1;

    // How much a caller's way from permit to window moves its average up, and down.
    private const double WayRiseWeight = 0.05;
    private const double WayFallWeight = 0.2;

    internal static readonly TimeSpan MaxNap = TimeSpan.FromMilliseconds(250);

    // How far ahead of its slot a permit is handed out: time for the caller to persist its send intent.
    private static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(50);

    // At the limit the pace runs this much ahead of what the window lets through (the class's summary says why).
    internal const double AheadOfTheWindow = 0.01;

    // How many permits may be out, not yet in a full window, per permit a second: a permit's lead and a step of the grid.
    private static readonly TimeSpan LineSpan = Lead + TimeSpan.FromMilliseconds(20);

    // A permit not in the window this long after it went out never will be (its caller gave up or stopped): it no longer
    // counts against the line.
    private static readonly TimeSpan PermitLost = Lead + TimeSpan.FromSeconds(1);
    private const double FloorFraction = 0.02;

    // At most this much of the rate goes at once after a quiet spell (a quarter second's permits).
    internal static readonly TimeSpan BurstSpan = TimeSpan.FromMilliseconds(250);

    // From two permits per step of this grid up (100/s), paced slots are rounded up onto it and the pump hands permits
    // out a step at a time: at 500/s the pump and the pool threads it wakes then wake 50 times a second instead of 500
    // (those wake-ups were a third of the engine's CPU at 500/s). The rate is unchanged. Below 100/s each permit has a
    // step to itself anyway.
    internal static readonly TimeSpan SlotGrid = TimeSpan.FromMilliseconds(20);

    private readonly TimeProvider _time;
    // The window's times are the clock's reading at the start plus the steady (monotonic) time since: a step of the wall
    // clock (a time sync, a virtual machine resumed) would otherwise end every place at once, or none for as long.
    private readonly DateTimeOffset _origin;
    private readonly long _originStamp;
    private readonly TimeSpan _providerWork;
    private readonly Lock _gate = new();
    private readonly Queue<Waiter>[] _waiters;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _pump;
    private double _limit;
    private double _pace;
    // When the last Limit calls were answered, in that order (with the calls still open, the window's held places),
    // and the last Limit slots handed out with permits.
    private readonly TimeRing _calls = new();
    private int _open;
    private readonly Queue<WindowWaiter> _windowWaiters = new();
    private WindowDoor? _door;
    private double _durationTicks;
    private readonly TimeRing _slots = new();
    // The permits still out (handed out, their calls not yet at the window) by number, with when each went and its paced slot.
    private readonly Dictionary<long, (DateTimeOffset GrantedAt, DateTimeOffset Paced)> _permitsOut = [];
    // Slots of permits given back unused, below the rate that keeps a line: the pace hands them out again.
    private int _slotsGivenBack;
    // How long callers recently took from their permit to the window (making their send intent durable).
    private double _wayTicks;
    private long _permitNumber;
    private DateTimeOffset _lastThrottled = DateTimeOffset.MinValue;
    private DateTimeOffset _lastRecovery;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private bool _held;
    private DateTimeOffset _lastUnlimitedCall = DateTimeOffset.MinValue;
    private long _granted;
    private long _naps;
    private long _windowWaits;
    private long _throttled;

    /// <param name="name">For logs and metrics: "email", "sms".</param>
    /// <param name="limit">Permits per second; <see cref="double.PositiveInfinity"/> for no limit.</param>
    /// <param name="priorities">Number of priority levels (0 is served first).</param>
    /// <param name="providerWork">The least time between the provider counting a call and its answer reaching us; zero assumes nothing.</param>
    public SendThrottle(string name, double limit, int priorities, TimeProvider timeProvider, TimeSpan providerWork = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(providerWork, TimeSpan.Zero);
        Name = name;
        _time = timeProvider;
        (_origin, _originStamp) = (timeProvider.GetUtcNow(), timeProvider.GetTimestamp());
        _providerWork = providerWork;
        _waiters = Enumerable.Range(0, Math.Max(1, priorities)).Select(_ => new Queue<Waiter>()).ToArray();
        _lastRecovery = Now();
        SetLimit(limit);
        _pump = Task.Run(PumpAsync);
    }

    public string Name { get; }

    /// <summary>The most permits any 1-second window may hold.</summary>
    public double Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>The pace now: the limit, or less after the provider throttled.</summary>
    public double CurrentRate
    {
        get
        {
            lock (_gate)
            {
                return _pace;
            }
        }
    }

    public long Granted => Interlocked.Read(ref _granted);

    public long ThrottledCount => Interlocked.Read(ref _throttled);

    /// <summary>Times the pump found waiters but had to wait (pacing, a pause): lets tests see it looked.</summary>
    internal long Naps => Interlocked.Read(ref _naps);

    /// <summary>Times a call found the window full, and times the door looked and left callers waiting.</summary>
    internal long WindowWaits => Interlocked.Read(ref _windowWaits);

    /// <summary>Changes the limit (from the provider's quota, or this node's share of it).</summary>
    public void SetLimit(double limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        List<(WindowWaiter, DateTimeOffset)>? admitted;
        lock (_gate)
        {
            // The pace keeps its place relative to the limit. At the limit it follows a new one at once (the account's
            // rate read at start, this node's share after others left) instead of climbing 5 % of it a second from
            // the old; slowed by a 429, it stays as far below.
            var fraction = _limit > 0 && !double.IsPositiveInfinity(_limit) && !double.IsPositiveInfinity(_pace) ? _pace / _limit : 1;
            _limit = limit;
            _pace = double.IsPositiveInfinity(limit) ? limit : limit * fraction;
            // When this node's share moves (nodes joined or left) the latest times are kept, so the last second's
            // calls still count against the new limit: emptying the window would allow a second's worth at once.
            var window = double.IsPositiveInfinity(limit) ? 0 : Math.Max(1, (int)Math.Floor(limit));
            _calls.Resize(window);
            _slots.Resize(window);
            admitted = AdmitWaiters(Now());
        }

        Release(admitted);
        _signal.Release();
    }

    /// <summary>
    /// When the last call was answered, now while a call is open (<see cref="DateTimeOffset.MinValue"/> if none was made),
    /// on the wall clock.
    /// </summary>
    public DateTimeOffset LastCallAt
    {
        get
        {
            lock (_gate)
            {
                var now = Now();
                var last = _open > 0 ? now : _calls.Length == 0 ? _lastUnlimitedCall : _calls.Newest;
                return last == DateTimeOffset.MinValue ? last : _time.GetUtcNow() - (now - last);
            }
        }
    }

    /// <summary>Waits for a permit to send one message: a slot at most <c>50 ms</c> ahead.</summary>
    public ValueTask<SendPermit> AcquireAsync(int priority, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(cancellationToken);
        lock (_gate)
        {
            _waiters[Math.Clamp(priority, 0, _waiters.Length - 1)].Enqueue(waiter);
        }

        _signal.Release();
        return new ValueTask<SendPermit>(waiter.Task);
    }

    /// <summary>
    /// Waits until fewer than <see cref="Limit"/> places in the window are held (calls open, or answered less than a
    /// second ago), then holds one for this call: the call starts only after this returns, and must be followed by
    /// <see cref="LeaveWindow"/> once it is answered or has failed. Callers that find the window full wait in line and
    /// are let in in the order they came, each as soon as a place is free, by one timer set to the next place's end
    /// (not a timer each: hundreds of waiters waking together for one place cost CPU, and a newcomer could overtake them).
    /// </summary>
    /// <param name="permit">The permit whose call this is (it is no longer out), or null for a call made without one.</param>
    /// <param name="cancellationToken">Gives up the wait for a place.</param>
    /// <returns>The time the call entered the window.</returns>
    public ValueTask<DateTimeOffset> EnterWindowAsync(SendPermit? permit, CancellationToken cancellationToken)
    {
        WindowWaiter waiter;
        lock (_gate)
        {
            var now = Now();
            if (permit is { } arrived && _permitsOut.Remove(arrived.Number, out var granted))
            {
                var grantedAt = granted.GrantedAt;
                // Slow to rise and quick to fall: the callers a stall held up arrive together with long ways, and room
                // counted too generously lets permits wait at the window, while too little only costs a place briefly.
                var way = Math.Clamp((now - grantedAt).Ticks, 0, PermitLost.Ticks);
                var weight = way > _wayTicks ? WayRiseWeight : WayFallWeight;
                _wayTicks = _wayTicks == 0 ? way : (_wayTicks * (1 - weight)) + (way * weight);
            }

            if (!DropCancelledWindowWaiters() && HasRoom(now))
            {
                _open++;
                return ValueTask.FromResult(now);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<DateTimeOffset>(cancellationToken);
            }

            waiter = new WindowWaiter(this, cancellationToken);
            _windowWaiters.Enqueue(waiter);
            Interlocked.Increment(ref _windowWaits);
            ScheduleDoor(now);
        }

        return new ValueTask<DateTimeOffset>(waiter.Task);
    }

    /// <summary>
    /// The send <paramref name="permit"/> was handed out for will not be made (its message id turned out taken, or its
    /// entity stopped before the call): it stops counting against the line now, not when a permit's life runs out. Below
    /// the rate that keeps a line, where permits may not run ahead of the window, its slot goes to the next permit (within
    /// the pump's nap) rather than holding the pace back a second.
    /// </summary>
    public void GiveBack(SendPermit permit)
    {
        lock (_gate)
        {
            if (_permitsOut.Remove(permit.Number, out var given) && !KeepsALine && _slots.Free(given.Paced))
            {
                _slotsGivenBack++;
            }
        }
    }

    /// <summary>Permits out and not yet at the window (what the line counts), for tests.</summary>
    internal int PermitsOutNow
    {
        get
        {
            lock (_gate)
            {
                return PermitsOut(Now());
            }
        }
    }

    /// <summary>
    /// The call that entered at <paramref name="enteredAt"/> was answered (or failed): its place is held a second more,
    /// less the provider's known work when <paramref name="answered"/> (never ending before a second after the call
    /// entered). A call that timed out or failed on the way has no answer to count back from: it keeps the full second.
    /// </summary>
    public void LeaveWindow(DateTimeOffset enteredAt, bool answered = false)
    {
        List<(WindowWaiter, DateTimeOffset)>? admitted;
        lock (_gate)
        {
            var now = Now();
            _open--;
            if (_calls.Length == 0)
            {
                _lastUnlimitedCall = now;
            }
            else
            {
                // The provider counted the call before now less its work, and not before it entered; the ring's times
                // stay in order (a later time only holds a place longer).
                var counted = answered ? now - _providerWork : now;
                counted = counted > enteredAt ? counted : enteredAt;
                _calls.Add(counted > _calls.Newest ? counted : _calls.Newest);
            }

            var duration = Math.Max(0, (now - enteredAt - (answered ? _providerWork : TimeSpan.Zero)).Ticks);
            _durationTicks = _durationTicks == 0 ? duration : (_durationTicks * (1 - DurationWeight)) + (duration * DurationWeight);
            // The answer turns an open call's place into one that ends at a known time: the door looks again.
            admitted = AdmitWaiters(now);
        }

        Release(admitted);
    }

    /// <summary>Lets in the callers waiting at the window, first come first, while there is room; sets the door's timer for the rest.</summary>
    private List<(WindowWaiter Waiter, DateTimeOffset At)>? AdmitWaiters(DateTimeOffset now)
    {
        List<(WindowWaiter, DateTimeOffset)>? admitted = null;
        // A waiter that gives up after this look is caught by Release, which hands its place on.
        while (DropCancelledWindowWaiters() && HasRoom(now))
        {
            _open++;
            (admitted ??= []).Add((_windowWaiters.Dequeue(), now));
        }

        if (_windowWaiters.Count > 0)
        {
            Interlocked.Increment(ref _windowWaits);
            ScheduleDoor(now);
        }

        return admitted;
    }

    /// <summary>Completes the admitted waiters outside the lock; a place taken for one cancelled meanwhile is given back.</summary>
    private void Release(List<(WindowWaiter Waiter, DateTimeOffset At)>? admitted)
    {
        if (admitted is null)
        {
            return;
        }

        var unused = 0;
        foreach (var (waiter, at) in admitted)
        {
            if (!waiter.TryEnter(at))
            {
                unused++;
            }
        }

        if (unused > 0)
        {
            lock (_gate)
            {
                _open -= unused;
            }

            LookAtTheLine();
        }
    }

    /// <summary>Sets the door's one timer for when the oldest held place ends; none while every place is an open call (its answer looks).</summary>
    private void ScheduleDoor(DateTimeOffset now)
    {
        if (_calls.FirstAfter(now - Window) is not { } oldest)
        {
            return;
        }

        // (oldest is later than now less the window, so the wait is never zero.)
        _door ??= WindowDoor.For(_time, LookAtTheLine, Name);
        _door.OpenIn(oldest + Window - now);
    }

    /// <summary>
    /// Lets in whoever in the window's line now has room: when the door's timer fires, a waiter gives up (it may have been
    /// the head of the line), or a place taken for a waiter was not used. Also after Dispose: a call waiting here has its
    /// send intent durable, and goes through as before.
    /// </summary>
    private void LookAtTheLine()
    {
        List<(WindowWaiter, DateTimeOffset)>? admitted;
        lock (_gate)
        {
            admitted = AdmitWaiters(Now());
        }

        Release(admitted);
    }

    private bool HasRoom(DateTimeOffset now) => _calls.Length == 0 || FreePlaces(now) > 0;

    /// <summary>Places no call holds at <paramref name="at"/>, of those held now (none without a limit).</summary>
    private int FreePlaces(DateTimeOffset at) => _calls.Length == 0 ? 0 : Math.Max(0, _calls.Length - _open - _calls.CountAfter(at - Window));

    /// <summary>Takes waiters that gave up off the head of the line; true while someone is still waiting.</summary>
    private bool DropCancelledWindowWaiters()
    {
        while (_windowWaiters.TryPeek(out var head) && head.Task.IsCompleted)
        {
            _windowWaiters.Dequeue();
        }

        return _windowWaiters.Count > 0;
    }

    /// <summary>The provider said slow down: ease the pace off a little or halve it (see the class), at most once a second.</summary>
    public void OnThrottled()
    {
        Interlocked.Increment(ref _throttled);
        var now = Now();
        lock (_gate)
        {
            if (now - _lastThrottled < TimeSpan.FromSeconds(1) || double.IsPositiveInfinity(_limit))
            {
                return;
            }

            _lastThrottled = now;
            _lastRecovery = now;
            // Throttled while our own last second was at the limit: the provider counted the same calls a few
            // milliseconds apart from us (network and scheduling jitter), so ease off a little. Throttled well below
            // the limit: the account's real rate is lower (another sender shares it), so halve. Our rate is the calls
            // the window holds over the time since the oldest of them: a burst at the start of a second, or a first
            // second not yet full, is still at the limit.
            var held = _calls.Held;
            var ourRate = held / Math.Max((now - _calls.EarliestUsed).TotalSeconds, 0.001);
            var wasAtLimit = held > 0 && ourRate >= 0.9 * _calls.Length;
            _pace = Math.Max(_limit * FloorFraction, _pace * (wasAtLimit ? AtLimitDecrease : 0.5));
        }
    }

    /// <summary>No permits until <paramref name="until"/> on the wall clock (the daily quota is used up).</summary>
    public void PauseUntil(DateTimeOffset until)
    {
        lock (_gate)
        {
            var steadyUntil = Now() + (until - _time.GetUtcNow());
            if (steadyUntil > _pausedUntil)
            {
                _pausedUntil = steadyUntil;
            }
        }
    }

    /// <summary>
    /// No permits while <paramref name="held"/> (this node may not use its share of the cluster's rate now: it is not yet
    /// a member, is in the minority of a partition, or has just woken from a stall). Permits already handed out are
    /// used (their calls still wait for room in the window).
    /// </summary>
    public void Hold(bool held)
    {
        lock (_gate)
        {
            _held = held;
        }

        _signal.Release();
    }

    private async Task PumpAsync()
    {
        var stopping = _stopping.Token;
        // Nothing sent yet counts as a quiet spell: the first requests get the quarter second's permits too.
        var next = Now() - TimeSpan.FromDays(1);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await _signal.WaitAsync(stopping).ConfigureAwait(false);
                while (HasWaiters())
                {
                    var now = Now();
                    var wait = NextPermitIn(now, ref next, out var onGrid);
                    if (wait > TimeSpan.Zero)
                    {
                        // Short naps, so a new limit, a pause or its end is noticed promptly; on the grid, at least a
                        // step, to wake once for the step's permits.
                        var nap = wait < MaxNap ? wait : MaxNap;
                        // Counted once the nap's timer is set: a test that moves a fake clock on seeing the count must not
                        // move it before the timer exists.
                        var napping = _time.WaitRoundedUpAsync(onGrid && nap < SlotGrid ? SlotGrid : nap, stopping);
                        Interlocked.Increment(ref _naps);
                        await napping.ConfigureAwait(false);
                        continue;
                    }

                    var slotAt = next <= now ? now : next;
                    if (Grant(onGrid && slotAt > now ? OnGrid(slotAt) : slotAt, paced: slotAt))
                    {
                        next += Interval();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    /// <summary>How long until the next permit may go; zero when it may go now. Also whether slots go on the grid.</summary>
    private TimeSpan NextPermitIn(DateTimeOffset now, ref DateTimeOffset next, out bool onGrid)
    {
        lock (_gate)
        {
            onGrid = _pace * SlotGrid.TotalSeconds >= 2;
            if (_held)
            {
                return MaxNap;
            }

            if (_pausedUntil > now)
            {
                return _pausedUntil - now;
            }

            Recover(now);
            if (double.IsPositiveInfinity(_pace))
            {
                return TimeSpan.Zero;
            }

            // The callers waiting at the window and on their way would fill every place free by the time a caller now
            // given a permit usually reaches it, and leave a line: look again a step later. (Bounded only at a full
            // window, a stalled commit let a second's permits pile up on their way; counting only the places free now,
            // a 260 ms commit left a fifth of the window empty at 50/s.)
            if (KeepsALine && PermitsOut(now) + _windowWaiters.Count >= LineLength() + FreePlaces(now + UsualWay()))
            {
                return SlotGrid;
            }

            // After an idle spell the clock restarts at most a quarter second back: requests arrive from SQS ten at
            // a time, and below the rate they should not queue behind one another (at 50/s the tenth would wait
            // 180 ms). Longer unused time is not saved up; the window still caps every second at the limit.
            var interval = PaceInterval();
            if (_slotsGivenBack > 0)
            {
                next -= interval * _slotsGivenBack;
                _slotsGivenBack = 0;
            }

            var credit = interval * Math.Max(0, Math.Floor(_pace * BurstSpan.TotalSeconds) - 1);
            if (next < now - (credit > interval ? credit : interval))
            {
                next = now - credit;
            }

            // Without a line, nor may the permits run ahead of the window: a slot a second after the slot handed out
            // Limit permits ago at the earliest. Else a burst followed by full-rate demand would leave the burst's
            // worth of calls waiting at the window for as long as the demand lasts — each with its send intent already
            // durable, so each a send recorded unknown if the process dies meanwhile. Where a line is kept, its bound
            // (above) caps those calls instead, and this one would keep the places a stall left empty from being
            // refilled faster than a percent more than the permits of a second before (docs/pipeline.md).
            if (!KeepsALine && _slots.Length > 0 && _slots.Oldest + PacedOccupancy() is var earliest && next < earliest)
            {
                next = earliest;
            }

            return next - Lead > now ? next - Lead - now : TimeSpan.Zero;
        }
    }

    /// <summary>The first step of the slot grid at or after <paramref name="slotAt"/>.</summary>
    private static DateTimeOffset OnGrid(DateTimeOffset slotAt)
    {
        var past = slotAt.UtcTicks % SlotGrid.Ticks;
        return past == 0 ? slotAt : slotAt.AddTicks(SlotGrid.Ticks - past);
    }

    /// <summary>
    /// Hands the first waiter a permit for <paramref name="slotAt"/>; the slots ring keeps <paramref name="paced"/>,
    /// the slot before any rounding onto the grid, so the rounding never holds the pace back.
    /// </summary>
    private bool Grant(DateTimeOffset slotAt, DateTimeOffset paced)
    {
        lock (_gate)
        {
            Waiter? waiter = null;
            foreach (var queue in _waiters)
            {
                while (waiter is null && queue.TryDequeue(out var candidate))
                {
                    waiter = candidate.Task.IsCompleted ? null : candidate;
                }

                if (waiter is not null)
                {
                    break;
                }
            }

            if (waiter is null)
            {
                return false;
            }

            // Out before its caller can reach the window (it may, the moment it is granted); taken back if not granted.
            // Kept wherever there is a limit (not per send without one), so when the pace comes back to the limit after a
            // 429 the permits still out count against the line; pruned only once it outgrows twice the line.
            var number = ++_permitNumber;
            var tracked = _calls.Length > 0;
            if (tracked)
            {
                var now = Now();
                if (_permitsOut.Count >= 2 * LineLength())
                {
                    PermitsOut(now);
                }

                _permitsOut[number] = (now, paced);
            }

            if (!waiter.TryGrant(new SendPermit(slotAt, number)))
            {
                _permitsOut.Remove(number);
                return false;
            }

            if (_slots.Length > 0)
            {
                _slots.Add(paced);
            }
        }

        Interlocked.Increment(ref _granted);
        return true;
    }

    private void Recover(DateTimeOffset now)
    {
        var quiet = now - _lastRecovery;
        if (quiet < TimeSpan.FromSeconds(1) || _pace >= _limit)
        {
            return;
        }

        _pace = Math.Min(_limit, _pace + (_limit * RecoveryPerSecond * quiet.TotalSeconds));
        _lastRecovery = now;
    }

    private TimeSpan Interval()
    {
        lock (_gate)
        {
            return double.IsPositiveInfinity(_pace) ? TimeSpan.Zero : PaceInterval();
        }
    }

    // Paced over what a call holds its place for, not a bare second: a pump faster than the window lets through would
    // pile calls up in EnterWindowAsync, each with its send intent already durable.
    private TimeSpan PaceInterval() => PacedOccupancy() / _pace;

    /// <summary>What the pace allows each place: its occupancy, a percent less while a line is kept (the class's summary).</summary>
    private TimeSpan PacedOccupancy() => KeepsALine ? Occupancy() * (1 - AheadOfTheWindow) : Occupancy();

    /// <summary>
    /// At the limit, from about 15/s up (where 70 ms holds a permit), a short line is kept at the window. Below, a line of
    /// one would make each call wait most of a place's second, so the pace is the window's own.
    /// </summary>
    private bool KeepsALine => !double.IsPositiveInfinity(_limit) && _pace >= _limit && LineLength() >= 1;

    /// <summary>The most callers out or waiting ahead of a full window: <c>Limit × 70 ms</c> (rounded so 100 × 70 ms is 7).</summary>
    private double LineLength() => Math.Floor(Math.Round(_limit * LineSpan.TotalSeconds, 6));

    /// <summary>Permits out and not yet at the window, less those out so long they never will be.</summary>
    private int PermitsOut(DateTimeOffset now)
    {
        List<long>? lost = null;
        foreach (var (number, (at, _)) in _permitsOut)
        {
            if (at < now - PermitLost)
            {
                (lost ??= []).Add(number);
            }
        }

        foreach (var number in lost ?? [])
        {
            _permitsOut.Remove(number);
        }

        return _permitsOut.Count;
    }

    /// <summary>
    /// How long callers recently took from their permit to the window (at most a permit's life). After a stall it reads
    /// long for a while (the stalled callers' ways); a dozen or so callers after it bring it back.
    /// </summary>
    private TimeSpan UsualWay() => TimeSpan.FromTicks((long)_wayTicks);

    /// <summary>The time on the window's steady clock.</summary>
    private DateTimeOffset Now() => _origin + _time.GetElapsedTime(_originStamp);

    /// <summary>How long a call holds its place in the window: a second, plus what calls have recently taken.</summary>
    private TimeSpan Occupancy() => Window + TimeSpan.FromTicks((long)_durationTicks);

    private bool HasWaiters()
    {
        lock (_gate)
        {
            foreach (var queue in _waiters)
            {
                while (queue.TryPeek(out var head) && head.Task.IsCompleted)
                {
                    queue.Dequeue();
                }

                if (queue.Count > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Stops the pump without waiting for it (it ends at its next step) and cancels every waiter.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        CancelWaiters();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        CancelWaiters();
        _stopping.Dispose();
        _signal.Dispose();
    }

    private void CancelWaiters()
    {
        lock (_gate)
        {
            foreach (var queue in _waiters)
            {
                while (queue.TryDequeue(out var waiter))
                {
                    waiter.Cancel();
                }
            }
        }
    }

    /// <summary>One caller waiting for a permit; its cancellation takes it out of line.</summary>
    private sealed class Waiter
    {
        private readonly TaskCompletionSource<SendPermit> _permit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public Waiter(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.Register(static state =>
                {
                    var (permit, token) = ((TaskCompletionSource<SendPermit>, CancellationToken))state!;
                    permit.TrySetCanceled(token);
                }, (_permit, cancellationToken));
            }
        }

        public Task<SendPermit> Task => _permit.Task;

        public bool TryGrant(SendPermit permit)
        {
            _registration.Dispose();
            return _permit.TrySetResult(permit);
        }

        public void Cancel() => _permit.TrySetCanceled();
    }

    /// <summary>One caller waiting at the full window; its cancellation takes it out of line.</summary>
    private sealed class WindowWaiter
    {
        private readonly TaskCompletionSource<DateTimeOffset> _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public WindowWaiter(SendThrottle throttle, CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (waiter, throttle) = ((WindowWaiter, SendThrottle))state!;
                    if (waiter._entered.TrySetCanceled(token))
                    {
                        throttle.LookAtTheLine();
                    }
                }, (this, throttle));
            }
        }

        public Task<DateTimeOffset> Task => _entered.Task;

        public bool TryEnter(DateTimeOffset at)
        {
            _registration.Dispose();
            return _entered.TrySetResult(at);
        }
    }

    /// <summary>The last few times something happened, oldest overwritten first; unused places read as long ago.</summary>
    private sealed class TimeRing
    {
        private long[] _ticks = [];
        private int _oldest;

        public int Length => _ticks.Length;

        public DateTimeOffset Oldest => At(_oldest);

        public DateTimeOffset Newest => At((_oldest + _ticks.Length - 1) % _ticks.Length);

        public void Add(DateTimeOffset at)
        {
            _ticks[_oldest] = at.UtcTicks;
            _oldest = (_oldest + 1) % _ticks.Length;
        }

        /// <summary>How many times are later than <paramref name="after"/> (the ring's times are added in order).</summary>
        public int CountAfter(DateTimeOffset after)
        {
            var k = 0;
            while (k < _ticks.Length && _ticks[(_oldest + k) % _ticks.Length] <= after.UtcTicks)
            {
                k++;
            }

            return _ticks.Length - k;
        }

        /// <summary>The earliest time later than <paramref name="after"/>, if any.</summary>
        public DateTimeOffset? FirstAfter(DateTimeOffset after)
        {
            var count = CountAfter(after);
            return count == 0 ? null : At((_oldest + _ticks.Length - count) % _ticks.Length);
        }

        /// <summary>
        /// Takes out the newest time equal to <paramref name="at"/>, the older ones moving one place newer so the ring
        /// stays in order and the oldest place reads unused; false if no place holds it (it was overwritten).
        /// </summary>
        public bool Free(DateTimeOffset at)
        {
            for (var k = _ticks.Length - 1; k >= 0; k--)
            {
                if (_ticks[(_oldest + k) % _ticks.Length] == at.UtcTicks)
                {
                    for (var j = k; j > 0; j--)
                    {
                        _ticks[(_oldest + j) % _ticks.Length] = _ticks[(_oldest + j - 1) % _ticks.Length];
                    }

                    _ticks[_oldest] = long.MinValue;
                    return true;
                }
            }

            return false;
        }

        /// <summary>How many places hold a time.</summary>
        public int Held => _ticks.Count(t => t != long.MinValue);

        /// <summary>The oldest time held (<see cref="DateTimeOffset.MinValue"/> if none): before the ring fills, when it began filling.</summary>
        public DateTimeOffset EarliestUsed
        {
            get
            {
                for (var k = 0; k < _ticks.Length; k++)
                {
                    if (At((_oldest + k) % _ticks.Length) is var at && at != DateTimeOffset.MinValue)
                    {
                        return at;
                    }
                }

                return DateTimeOffset.MinValue;
            }
        }

        /// <summary>Changes the length, keeping the newest times.</summary>
        public void Resize(int length)
        {
            if (length == _ticks.Length)
            {
                return;
            }

            var resized = Enumerable.Repeat(long.MinValue, length).ToArray();
            var kept = Math.Min(length, _ticks.Length);
            for (var k = 0; k < kept; k++)
            {
                resized[length - kept + k] = _ticks[(_oldest + _ticks.Length - kept + k) % _ticks.Length];
            }

            (_ticks, _oldest) = (resized, 0);
        }

        private DateTimeOffset At(int index) =>
            _ticks[index] == long.MinValue ? DateTimeOffset.MinValue : new DateTimeOffset(_ticks[index], TimeSpan.Zero);
    }
}
