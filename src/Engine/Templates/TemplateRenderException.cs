namespace Messaging.Engine.Templates;

/// <summary>A template could not be rendered with the data given: a permanent problem of that request, not a retry.</summary>
public sealed class TemplateRenderException(string message, Exception? innerException = null) : Exception(message, innerException);
