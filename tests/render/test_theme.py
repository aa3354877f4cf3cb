from generator.render.theme import search_text


def test_search_filter_text_cannot_start_markup_or_entities() -> None:
    assert "<" not in search_text('<img src=x onerror=alert("a")>')
    assert "&lt;" not in str(search_text("&lt;script&gt;")).replace("&amp;\u200blt;", "")
    assert str(search_text("Salt & Pepper")) == "Salt &amp; Pepper"
    assert str(search_text("fish > chips")) == "fish &gt; chips"
    assert str(search_text("Zoë Brennan")) == "Zoë Brennan"
