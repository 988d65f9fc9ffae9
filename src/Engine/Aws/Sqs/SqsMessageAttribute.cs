namespace Messaging.Engine.Aws.Sqs;

/// <summary>An SQS message attribute. Numbers travel in <see cref="StringValue"/>; binary values as base64 on the wire.</summary>
/// <param name="DataType"><c>String</c>, <c>Number</c> or <c>Binary</c>, optionally with a <c>.label</c>.</param>
/// <param name="StringValue">The value of a String or Number attribute.</param>
/// <param name="BinaryValue">The value of a Binary attribute.</param>
public sealed record SqsMessageAttribute(string DataType, string? StringValue = null, byte[]? BinaryValue = null)
{
    /// <summary>A String attribute.</summary>
    public static SqsMessageAttribute String(string value) => new("String", value);

    /// <summary>A Number attribute.</summary>
    public static SqsMessageAttribute Number(long value) => new("Number", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
