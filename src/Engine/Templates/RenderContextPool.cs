namespace Messaging.Engine.Templates;

/// <summary>
/// Render contexts of one compiled template kept for reuse: building one costs more than a small render (its stacks,
/// caches and output buffer), and a busy node renders the same few versions all the time. Bounded: at most
/// <see cref="Capacity"/> are kept; a render that finds none builds one, and one that finds the pool full drops its own.
/// </summary>
internal sealed class RenderContextPool(Func<TemplateRenderContext> create)
{
    private readonly TemplateRenderContext?[] _kept = new TemplateRenderContext?[Capacity];

    /// <summary>Enough for every core to render the same version at once.</summary>
    private static int Capacity => Math.Max(2, Environment.ProcessorCount);

    public TemplateRenderContext Rent()
    {
        for (var i = 0; i < _kept.Length; i++)
        {
            if (Volatile.Read(ref _kept[i]) is not null && Interlocked.Exchange(ref _kept[i], null) is { } context)
            {
                return context;
            }
        }

        return create();
    }

    /// <summary>Takes back a context whose render completed; one that failed mid-render is never returned.</summary>
    public void Return(TemplateRenderContext context)
    {
        context.Recycle();
        for (var i = 0; i < _kept.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _kept[i], context, null) is null)
            {
                return;
            }
        }
    }
}
