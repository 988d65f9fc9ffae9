using Microsoft.Extensions.Options;

namespace Messaging.Engine;

/// <summary>Validates options with a method that lists every problem, so start-up reports them all at once.</summary>
internal sealed class ListedOptionsValidator<TOptions>(Func<TOptions, IEnumerable<string>> problems) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var found = problems(options).ToList();
        return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
    }
}
