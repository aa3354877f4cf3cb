"""The corpora in ../shared/corpus as Articles, and derived versions of them, for the benches.

Nothing here is copied into the repository: texts are read from ../shared at run time. Derived
versions are made with a seeded random generator, so every run builds the same test sets.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import random
import re
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from generator.analysis.fingerprint import VARIANTS  # noqa: E402
from generator.model import Article  # noqa: E402
from tests.factories import make_article  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
BBC = CORPUS / "bbc-news-2005"
REUTERS = CORPUS / "reuters-21578"
WIKINEWS = CORPUS / "wikinews-2019-2020"

csv.field_size_limit(1 << 24)


def require_shared() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} not found: the benches need ../shared/corpus beside the repo")


def bbc() -> list[tuple[Article, str]]:
    """(article, category) for the 2,225 BBC stories; undated, publication "BBC News"."""
    result = []
    for folder in sorted(p for p in BBC.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt")):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            title, _, body = text.strip().partition("\n")
            article = make_article(
                id=f"bbc/{folder.name}/{path.stem}",
                title=title.strip(),
                paragraphs=_blocks(body),
                date=None,
                publication="BBC News",
            )
            result.append((article, folder.name))
    return result


_REUTERS_DOC = re.compile(r"<REUTERS[^>]*NEWID=\"(\d+)\">(.*?)</REUTERS>", re.S)
_FIELD = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in ("DATE", "TITLE", "BODY")}


def reuters() -> list[Article]:
    """The 19,043 Reuters-21578 documents with a title and a body, dated, publication "Reuters"."""
    result = []
    for path in sorted(REUTERS.glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for match in _REUTERS_DOC.finditer(text):
            newid, doc = match.groups()
            fields = {k: (m.group(1) if (m := p.search(doc)) else "") for k, p in _FIELD.items()}
            if not fields["TITLE"] or not fields["BODY"]:
                continue
            body = html.unescape(fields["BODY"]).replace("\x03", "")
            body = re.sub(r"\s*Reuter\s*$", "", body.strip())
            paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s{3,}", body) if p.strip()]
            stamp = _reuters_date(fields["DATE"])
            result.append(
                make_article(
                    id=f"reuters/{int(newid):05d}",
                    title=" ".join(html.unescape(fields["TITLE"]).split()),
                    paragraphs=paragraphs,
                    date=stamp,
                    publication="Reuters",
                )
            )
    return result


def _reuters_date(text: str) -> dt.datetime:
    """ "26-FEB-1987 15:01:01.79"; a few stamps have a garbled time, read as midnight."""
    day, _, clock = text.strip().partition(" ")
    date = dt.datetime.strptime(day, "%d-%b-%Y")
    try:
        return dt.datetime.strptime(f"{day} {clock[:8]}", "%d-%b-%Y %H:%M:%S").replace(
            tzinfo=dt.UTC
        )
    except ValueError:
        return date.replace(tzinfo=dt.UTC)


def wikinews() -> list[Article]:
    """The 295 Wikinews articles (CC BY 2.5), dated, without the dateline paragraph."""
    result = []
    for path in sorted(WIKINEWS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                paragraphs = _blocks(row["text"])
                if paragraphs and re.match(r"^\w+day, \w+ \d+, \d{4}$", paragraphs[0]):
                    paragraphs = paragraphs[1:]
                slug = row["url"].rstrip("/").rsplit("/", 1)[-1].lower()[:80]
                result.append(
                    make_article(
                        id=f"wikinews/{slug}",
                        title=row["title"].strip(),
                        paragraphs=paragraphs,
                        date=dt.date.fromisoformat(row["date"]),
                        publication="Wikinews",
                    )
                )
    return result


def _blocks(text: str) -> list[str]:
    return [" ".join(b.split()) for b in re.split(r"\n\s*\n", text) if b.strip()]


# Derived versions -------------------------------------------------------------------------------

PROMOS = (
    "SIGN UP FOR THE DAILY UPDATE. IT'S FREE. Just click here.",
    "Read more: the latest news from our correspondents.",
    "Follow us on social media for breaking news alerts.",
    "This article first appeared in print.",
    "Subscribe now and get full access to every story on our site.",
)
PUBLICATIONS = ("The Daily Ledger", "Morning Wire", "The Evening Post", "Global Courier")
_REVERSE = {canonical: variant for variant, canonical in sorted(VARIANTS.items(), reverse=True)}
_REVERSE.update({"percent": "per cent", "US": "U.S.", "UK": "U.K."})


def derive_family(
    base: Article, donors: Sequence[Article], rng: random.Random
) -> list[tuple[Article, str]]:
    """One to four derived versions of `base`: (article, how it was made).

    Updates (same publication, later): paragraphs added from a donor story, some cut, two
    swapped, a sentence replaced, the headline rewritten. Syndicated copies (another
    publication): a tail cut, promo lines added, house spellings (Kiev, colour, per cent),
    straight quotes, a new headline. Copy edits: house spellings only.
    """
    makers = (_update, _syndicate, _copy_edit)
    chosen = [rng.choice(makers) for _ in range(rng.randint(1, 4))]
    family: list[tuple[Article, str]] = []
    for n, maker in enumerate(chosen, start=1):
        source = family[-1][0] if maker is _update and family and rng.random() < 0.5 else base
        article = maker(source, donors, rng)
        family.append((replace(article, id=f"{base.id}~v{n}"), maker.__name__.strip("_")))
    return family


def _update(article: Article, donors: Sequence[Article], rng: random.Random) -> Article:
    paras = list(article.paragraphs)
    for _ in range(rng.randint(1, 3)):
        paras.insert(rng.randint(min(1, len(paras)), len(paras)), _fresh_paragraph(donors, rng))
    for _ in range(rng.randint(0, 2)):
        if len(paras) > 3:
            paras.pop(rng.randrange(1, len(paras)))
    if len(paras) > 3:
        i = rng.randrange(1, len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
    if len(paras) > 1:
        i = rng.randrange(len(paras))
        sentences = _sentences(paras[i])
        sentences[rng.randrange(len(sentences))] = rng.choice(
            _sentences(_fresh_paragraph(donors, rng))
        )
        paras[i] = " ".join(sentences)
    title = _rewrite_title(article, rng)
    return _derived(article, title, paras, article.publication, _later(article.date, rng, 1))


def _fresh_paragraph(donors: Sequence[Article], rng: random.Random) -> str:
    """New reporting: two sentences from two other stories on the subject (never a whole
    paragraph of one, which would make the update a genuine copy of that story too)."""
    picked = []
    for _ in range(2):
        donor = rng.choice(donors)
        sentences = [s for p in donor.paragraphs for s in _sentences(p)] or [donor.title + "."]
        picked.append(rng.choice(sentences))
    return " ".join(picked)


def _sentences(paragraph: str) -> list[str]:
    return re.split(r"(?<=[.!?]) (?=[A-Z])", paragraph)


def _syndicate(article: Article, donors: Sequence[Article], rng: random.Random) -> Article:
    paras = [_house_style(p) for p in article.paragraphs]
    keep = max(2, round(len(paras) * rng.uniform(0.55, 0.9)))
    paras = paras[:keep]
    for _ in range(rng.randint(0, 1)):
        if len(paras) > 4:
            paras.pop(rng.randrange(1, len(paras) - 1))
    paras.insert(rng.randint(0, 1), rng.choice(PROMOS))
    paras.append(rng.choice(PROMOS))
    title = _rewrite_title(article, rng)
    publication = rng.choice([p for p in PUBLICATIONS if p != article.publication])
    return _derived(article, title, paras, publication, _later(article.date, rng, 3))


def _copy_edit(article: Article, donors: Sequence[Article], rng: random.Random) -> Article:
    paras = [_house_style(p) for p in article.paragraphs]
    return _derived(article, _house_style(article.title), paras, article.publication, article.date)


def _derived(
    article: Article, title: str, paras: list[str], publication: str, date: dt.date | None
) -> Article:
    return make_article(
        id=article.id, title=title, paragraphs=paras, date=date, publication=publication
    )


def _house_style(text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        variant = _REVERSE.get(word.lower())
        if variant is None or word.lower() in {"1", "2", "3"}:
            return word
        return variant.capitalize() if word[0].isupper() else variant

    text = re.sub(r"[A-Za-z]+", swap, text)
    return text.replace("“", '"').replace("”", '"').replace("’", "'").replace(" — ", " - ")


def _rewrite_title(article: Article, rng: random.Random) -> str:
    words = article.title.split()
    lead = article.paragraphs[0].split() if article.paragraphs else words
    choice = rng.random()
    if choice < 0.4:
        return " ".join(lead[: rng.randint(6, 10)]).rstrip(",.;")
    if choice < 0.7 and len(words) > 3:
        return " ".join(
            words[: len(words) - 1] + rng.choice([["latest"], ["update"], ["-", "live"]])
        )
    return rng.choice(["UPDATE 1-", "REFILE-", "CORRECTED-", ""]) + article.title


def _later(when: dt.date | None, rng: random.Random, days: int) -> dt.date | None:
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        return when + dt.timedelta(hours=rng.randint(1, 24 * days))
    return when + dt.timedelta(days=rng.randint(0, days))


def seeded(name: str) -> random.Random:
    return random.Random(zlib.crc32(name.encode()))


def with_families(
    bases: Sequence[Article], donors: Sequence[Article], seed: str
) -> Iterator[tuple[Article, str]]:
    """Each base followed by its derived versions; the second item names the family."""
    rng = seeded(seed)
    for base in bases:
        yield base, base.id
        for derived, _ in derive_family(base, donors, rng):
            yield derived, base.id
