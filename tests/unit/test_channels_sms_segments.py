from channels.sms_segments import GSM7_BASIC, GSM7_EXTENDED, fit_to_segments, sms_encoding


def test_gsm7_tables_are_complete():
    assert len(set(GSM7_BASIC)) == len(GSM7_BASIC) == 127  # 128 codes less ESC
    assert len(GSM7_EXTENDED) == 10


def test_plain_page_text_is_gsm7_and_untouched():
    text = "CRITICAL Ward 4B bed 12 code K7Q"
    assert sms_encoding(text) == "GSM-7"
    assert fit_to_segments(text) == text


def test_gsm7_text_is_cut_to_306_characters_in_two_segments():
    assert fit_to_segments("A" * 306) == "A" * 306
    assert fit_to_segments("A" * 307) == "A" * 306


def test_gsm7_extension_characters_cost_two_septets():
    assert fit_to_segments("€" * 200) == "€" * 153
    assert fit_to_segments("[" + "A" * 305) == "[" + "A" * 304


def test_one_non_gsm_character_switches_to_ucs2_and_134_characters():
    text = "Łódź " + "B" * 300
    assert sms_encoding(text) == "UCS-2"
    assert fit_to_segments(text) == text[:134]


def test_emoji_take_two_ucs2_units_and_are_never_split():
    assert fit_to_segments("🚨" * 100) == "🚨" * 67
    assert fit_to_segments("x" + "🚨" * 100) == "x" + "🚨" * 66


def test_single_segment_limits_are_160_and_70():
    assert fit_to_segments("A" * 200, max_segments=1) == "A" * 160
    assert fit_to_segments("Ł" * 100, max_segments=1) == "Ł" * 70


def test_a_cut_does_not_leave_trailing_spaces():
    assert fit_to_segments("A" * 305 + "  B") == "A" * 305
