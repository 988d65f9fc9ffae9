using System.Diagnostics.CodeAnalysis;

namespace Messaging.Engine.Aws;

/// <summary>
/// The value of a provider call or the classified reason it failed. Provider failures are values,
/// not exceptions, so callers must decide what each one means; only cancellation by the caller throws.
/// </summary>
/// <typeparam name="T">The call's result.</typeparam>
public readonly struct AwsResult<T>
{
    private readonly T? _value;

    private AwsResult(T? value, ProviderError? error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>Why the call failed, or null when it succeeded.</summary>
    public ProviderError? Error { get; }

    /// <summary>True when the call succeeded.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>The result; throws if the call failed (check <see cref="IsSuccess"/> first).</summary>
    public T Value => Error is null ? _value! : throw new InvalidOperationException($"The call failed: {Error}");

    /// <summary>A successful result.</summary>
    public static AwsResult<T> Success(T value) => new(value, null);

    /// <summary>A failed result.</summary>
    public static AwsResult<T> Failure(ProviderError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>Gets the value when the call succeeded, the error otherwise.</summary>
    public bool TryGetValue([MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out ProviderError? error)
    {
        value = _value;
        error = Error;
        return Error is null;
    }

    /// <summary>Applies <paramref name="map"/> to the value of a success; passes a failure through unchanged.</summary>
    public AwsResult<TOut> Map<TOut>(Func<T, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Error is null ? AwsResult<TOut>.Success(map(_value!)) : AwsResult<TOut>.Failure(Error);
    }

    /// <inheritdoc />
    public override string ToString() => Error is null ? $"Success({_value})" : $"Failure({Error})";
}
