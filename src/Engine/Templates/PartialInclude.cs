using Scriban;
using Scriban.Functions;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Messaging.Engine.Templates;

/// <summary>
/// <c>include "footer"</c> (Liquid: <c>{% include 'footer' %}</c>): Scriban's own include, whose output is marked as
/// trusted, since the partial escaped its own values as it rendered them and must not be escaped a second time.
/// </summary>
internal sealed class PartialInclude : IScriptCustomFunction
{
    private static readonly IncludeFunction Include = new();

    public int RequiredParameterCount => Include.RequiredParameterCount;

    public int ParameterCount => Include.ParameterCount;

    public ScriptVarParamKind VarParamKind => Include.VarParamKind;

    public Type ReturnType => typeof(TrustedHtml);

    public ScriptParameterInfo GetParameterInfo(int index) => Include.GetParameterInfo(index);

    public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
        Include.Invoke(context, callerContext, arguments, blockStatement) is { } output
            ? new TrustedHtml(context.ObjectToString(output) ?? "")
            : null;

    public ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
        ValueTask.FromResult(Invoke(context, callerContext, arguments, blockStatement));
}
