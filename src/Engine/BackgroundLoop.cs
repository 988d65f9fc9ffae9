using Microsoft.Extensions.Logging;

namespace Messaging.Engine;

/// <summary>
/// The one owner of every polling loop in the engine: runs an iteration until stopped; an iteration that finds no work
/// waits <c>idleDelay</c>; one that throws is logged and followed by an exponential backoff (up to
/// <c>maxBackoff</c>), then the loop goes on. Stopping cancels the token and awaits the loop's task.
/// </summary>
internal sealed partial class BackgroundLoop : IAsyncDisposable
{
    private readonly string _name;
    private readonly Func<CancellationToken, Task<bool>> _iteration;
    private readonly TimeSpan _idleDelay;
    private readonly TimeSpan _maxBackoff;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _task = Task.CompletedTask;

    /// <param name="iteration">One round of work; returns false when there was nothing to do.</param>
    public BackgroundLoop(
        string name, Func<CancellationToken, Task<bool>> iteration, TimeSpan idleDelay, TimeSpan maxBackoff,
        TimeProvider timeProvider, ILogger logger)
    {
        _name = name;
        _iteration = iteration;
        _idleDelay = idleDelay;
        _maxBackoff = maxBackoff;
        _time = timeProvider;
        _logger = logger;
    }

    private int _consecutiveFailures;

    public void Start() => _task = Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken stopping)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var worked = await _iteration(stopping).ConfigureAwait(false);
                _consecutiveFailures = 0;
                backoff = TimeSpan.FromMilliseconds(100);
                if (!worked && _idleDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_idleDelay, _time, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _consecutiveFailures++;
                LogIterationFailed(e, _name, _consecutiveFailures, backoff.TotalMilliseconds);
                try
                {
                    await Task.Delay(backoff, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _maxBackoff.Ticks));
            }
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Loop} failed ({Failures} in a row); trying again in {BackoffMs} ms")]
    private partial void LogIterationFailed(Exception exception, string loop, int failures, double backoffMs);
}
