using Messaging.Engine.Sending;

namespace Messaging.Engine.Tests.Sending;

/// <summary>GSM-7 / UCS-2 detection and segment counting, at the edges where carriers split messages.</summary>
public sealed class SmsSegmentsTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(918, 6)]
    [InlineData(919, 7)]
    public void Plain_gsm_text_fits_160_alone_and_153_per_part(int length, int segments)
    {
        var measured = SmsSegments.Measure(new string('a', length));

        Assert.Equal(new SmsSegments(SmsEncoding.Gsm7, length, segments, null), measured);
    }

    [Fact]
    public void Gsm_accented_letters_and_symbols_of_the_basic_alphabet_stay_gsm7_at_one_septet_each()
    {
        var measured = SmsSegments.Measure("Olá! Ünïcode? Ñ £5 @ ¥ è é ù ì ò Ç Ø Å Æ ß É ¡¿ §");

        Assert.Equal(SmsEncoding.Ucs2, measured.Encoding);
        // 'á' and 'ï' are not in the GSM alphabet (its accented letters are a fixed few): the first one forces UCS-2.
        Assert.Equal("á", measured.ForcedBy);
        Assert.Equal(SmsEncoding.Gsm7, SmsSegments.Measure("Ñ £5 @ ¥ è é ù ì ò Ç Ø Å Æ ß É ¡¿ § Ü ö").Encoding);
    }

    [Theory]
    [InlineData("€", 80, 160, 1)]
    [InlineData("€", 81, 162, 2)]
    [InlineData("{", 80, 160, 1)]
    [InlineData("^", 81, 162, 2)]
    public void Extension_characters_take_two_septets(string character, int count, int septets, int segments)
    {
        var measured = SmsSegments.Measure(string.Concat(Enumerable.Repeat(character, count)));

        Assert.Equal(new SmsSegments(SmsEncoding.Gsm7, septets, segments, null), measured);
    }

    [Fact]
    public void An_extension_character_is_never_split_between_two_parts()
    {
        // 306 septets fit two parts of 153 exactly, unless '€' (2) straddles the boundary after 152: then it moves to
        // the second part, which overflows into a third.
        var straddling = SmsSegments.Measure(new string('a', 152) + "€" + new string('a', 152));
        var aligned = SmsSegments.Measure(new string('a', 151) + "€" + new string('a', 153));

        Assert.Equal((306, 3), (straddling.Units, straddling.Segments));
        Assert.Equal((306, 2), (aligned.Units, aligned.Segments));
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void One_non_gsm_character_makes_the_whole_text_ucs2_at_70_alone_and_67_per_part(int length, int segments)
    {
        var text = "ç" + new string('a', length - 1);

        var measured = SmsSegments.Measure(text);

        Assert.Equal(new SmsSegments(SmsEncoding.Ucs2, length, segments, "ç"), measured);
    }

    [Fact]
    public void An_emoji_counts_two_code_units_and_is_never_split()
    {
        Assert.Equal(new SmsSegments(SmsEncoding.Ucs2, 70, 1, "😀"), SmsSegments.Measure(string.Concat(Enumerable.Repeat("😀", 35))));
        Assert.Equal(new SmsSegments(SmsEncoding.Ucs2, 72, 2, "😀"), SmsSegments.Measure(string.Concat(Enumerable.Repeat("😀", 36))));

        // 66 units, then an emoji (2) would straddle the 67-unit boundary: it moves to the next part.
        var straddling = SmsSegments.Measure(new string('a', 66) + "😀" + new string('a', 66));
        Assert.Equal((134, 3), (straddling.Units, straddling.Segments));
    }
}
