using System.Text.Json.Serialization;

namespace Messaging.Engine.Templates;

/// <summary>The language a template's parts are written in; both run on Scriban, with the same functions and rules.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TemplateSyntax>))]
public enum TemplateSyntax
{
    /// <summary>Scriban's own language: <c>{{ if x }}…{{ end }}</c>, <c>{{ formatDate at "d MMMM" }}</c>. The default.</summary>
    [JsonStringEnumMemberName("scriban")]
    Scriban,

    /// <summary>Liquid, as most email and marketing tools write it: <c>{% if x %}…{% endif %}</c>, <c>{{ at | formatDate: "d MMMM" }}</c>.</summary>
    [JsonStringEnumMemberName("liquid")]
    Liquid,
}
