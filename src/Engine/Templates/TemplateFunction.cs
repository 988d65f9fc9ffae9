using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Messaging.Engine.Templates;

/// <summary>
/// One of the engine's template functions, called directly. Scriban binds positional and named arguments and fills
/// the optional ones from <see cref="GetParameterInfo"/> before the call; this type only hands the values to the
/// function, without the reflection a delegate import pays on every call.
/// </summary>
internal sealed class TemplateFunction : IScriptCustomFunction
{
    private readonly ScriptParameterInfo[] _parameters;
    private readonly Func<ScriptArray, object?> _call;

    private TemplateFunction(Type returnType, ScriptParameterInfo[] parameters, int required, Func<ScriptArray, object?> call)
    {
        ReturnType = returnType;
        _parameters = parameters;
        RequiredParameterCount = required;
        _call = call;
    }

    public int RequiredParameterCount { get; }

    public int ParameterCount => _parameters.Length;

    public ScriptVarParamKind VarParamKind => ScriptVarParamKind.None;

    public Type ReturnType { get; }

    public ScriptParameterInfo GetParameterInfo(int index) => _parameters[index];

    public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
        _call(arguments);

    public ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
        ValueTask.FromResult(Invoke(context, callerContext, arguments, blockStatement));

    /// <summary>A function of a value and <paramref name="optional"/> named strings (a format, a zone, a culture…), all optional.</summary>
    public static TemplateFunction OfValueAndStrings<TResult>(
        string value, string[] required, string[] optional, Func<ScriptArray, TResult> call)
    {
        var parameters = new List<ScriptParameterInfo> { new(typeof(object), value) };
        parameters.AddRange(required.Select(name => new ScriptParameterInfo(typeof(string), name)));
        parameters.AddRange(optional.Select(name => new ScriptParameterInfo(typeof(string), name, null!)));
        return new TemplateFunction(typeof(TResult), [.. parameters], 1 + required.Length, arguments => call(arguments));
    }

    /// <summary>A function of <paramref name="values"/>, all required and of any type.</summary>
    public static TemplateFunction OfValues<TResult>(string[] values, Func<ScriptArray, TResult> call) =>
        new(typeof(TResult), values.Select(name => new ScriptParameterInfo(typeof(object), name)).ToArray(), values.Length, arguments => call(arguments));
}
