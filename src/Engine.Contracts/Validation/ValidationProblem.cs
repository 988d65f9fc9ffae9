namespace Messaging.Contracts.Validation;

/// <summary>One thing wrong with a request: where (a JSON path such as <c>$.content.subject</c>) and why, in plain English.</summary>
/// <param name="Path">JSON path of the offending value; <c>$</c> for the request as a whole.</param>
/// <param name="Reason">What is wrong and, where it helps, what would be right.</param>
public sealed record ValidationProblem(string Path, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
