"""Two versions -> what changed: headline and paragraphs, down to words. Data only, no HTML.

Paragraphs are aligned first (difflib over whole paragraphs, compared after typographic
normalisation so that curly quotes or a dash style are not "changes"). Unaligned paragraphs that
still read almost alike are paired: inside the same gap they are "changed", elsewhere "moved".
Only paired paragraphs get a word-level diff, which keeps a 50-paragraph article at a few ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from ..model import Article

SegmentOp = Literal["equal", "insert", "delete"]
ParagraphKind = Literal["same", "added", "removed", "moved", "changed"]

#: Word-level similarity (difflib ratio) above which two paragraphs are one paragraph edited.
PAIR_SIMILARITY = 0.5

_TOKEN = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]")
_WORD_OR_MARK = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
"""`_TOKEN` but spaces."""
#: Word-level diff units: a word or punctuation mark with the spaces after it (fewer, rarer
#: units than separate space tokens, so difflib stays fast).
_UNIT = re.compile(r"\s+|(?:\w+(?:['’]\w+)*|[^\w\s])\s*")
_WORD = re.compile(r"\w")
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that is unchanged, inserted or deleted; templates render <ins>/<del>."""

    op: SegmentOp
    text: str


@dataclass(frozen=True, slots=True)
class ParagraphChange:
    """One paragraph of the diff, in reading order of the new version (removed ones in place)."""

    kind: ParagraphKind
    text: str
    """The paragraph as the new version has it (the old text for "removed")."""
    segments: tuple[Segment, ...] = ()
    """Word-level changes, for "changed" paragraphs and "moved" ones that were also edited."""
    old_index: int | None = None
    new_index: int | None = None


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Everything that differs between two versions of a story."""

    old_id: str
    new_id: str
    title_segments: tuple[Segment, ...]
    paragraphs: tuple[ParagraphChange, ...]
    paragraphs_added: int
    paragraphs_removed: int
    paragraphs_moved: int
    paragraphs_changed: int
    words_inserted: int
    """Words inserted inside changed (or moved and edited) paragraphs."""
    words_deleted: int

    @property
    def title_changed(self) -> bool:
        return any(s.op != "equal" for s in self.title_segments)

    @property
    def summary(self) -> str:
        """E.g. "3 paragraphs added, 2 removed, 14 words changed"; zero parts are left out."""
        counts = [
            (self.paragraphs_added, "added"),
            (self.paragraphs_removed, "removed"),
            (self.paragraphs_moved, "moved"),
        ]
        parts = []
        for number, verb in counts:
            if number:
                noun = "" if parts else (" paragraph" if number == 1 else " paragraphs")
                parts.append(f"{number}{noun} {verb}")
        words = max(self.words_inserted, self.words_deleted)
        if words:
            parts.append(f"{words} word{'' if words == 1 else 's'} changed")
        if self.title_changed:
            parts.append("headline changed")
        if not parts:
            return "No changes to the text"
        return ", ".join(parts)


def diff_versions(old: Article, new: Article) -> VersionDiff:
    """Headline and paragraph differences from `old` to `new`."""
    old_paras, new_paras = old.paragraphs, new.paragraphs
    old_keys = [_key(p) for p in old_paras]
    new_keys = [_key(p) for p in new_paras]
    opcodes = SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes()
    gaps = [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"]
    pairs: dict[int, tuple[int, str]] = {}
    for i1, i2, j1, j2 in gaps:
        pairs.update(_pair(old_keys, new_keys, range(i1, i2), range(j1, j2), "changed"))
    used = {i for i, _ in pairs.values()}
    loose_old = [i for i1, i2, _, _ in gaps for i in range(i1, i2) if i not in used]
    loose_new = [j for _, _, j1, j2 in gaps for j in range(j1, j2) if j not in pairs]
    pairs.update(_pair(old_keys, new_keys, loose_old, loose_new, "moved"))
    paired_old = {i for i, _ in pairs.values()}

    entries: list[ParagraphChange] = []
    inserted = deleted = 0
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            entries.extend(
                ParagraphChange("same", new_paras[j], (), i, j)
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        entries.extend(
            ParagraphChange("removed", old_paras[i], (), i, None)
            for i in range(i1, i2)
            if i not in paired_old
        )
        for j in range(j1, j2):
            if j not in pairs:
                entries.append(ParagraphChange("added", new_paras[j], (), None, j))
                continue
            i, kind = pairs[j]
            segments: tuple[Segment, ...] = ()
            if old_keys[i] != new_keys[j]:
                segments = diff_words(old_paras[i], new_paras[j])
                inserted += _words(segments, "insert")
                deleted += _words(segments, "delete")
            entries.append(ParagraphChange(kind, new_paras[j], segments, i, j))  # type: ignore[arg-type]
    kinds = [e.kind for e in entries]
    return VersionDiff(
        old_id=old.id,
        new_id=new.id,
        title_segments=diff_words(old.title, new.title),
        paragraphs=tuple(entries),
        paragraphs_added=kinds.count("added"),
        paragraphs_removed=kinds.count("removed"),
        paragraphs_moved=kinds.count("moved"),
        paragraphs_changed=kinds.count("changed"),
        words_inserted=inserted,
        words_deleted=deleted,
    )


def diff_words(old: str, new: str) -> tuple[Segment, ...]:
    """Word-level segments turning `old` into `new`; joined, equal+insert give `new` exactly."""
    old_tokens, new_tokens = _UNIT.findall(old), _UNIT.findall(new)
    matcher = SequenceMatcher(
        None,
        [_token_key(t) for t in old_tokens],
        [_token_key(t) for t in new_tokens],
        autojunk=False,
    )
    raw: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            raw.append(Segment("equal", "".join(new_tokens[j1:j2])))
            continue
        if i2 > i1:
            raw.append(Segment("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            raw.append(Segment("insert", "".join(new_tokens[j1:j2])))
    return _tidy(raw)


def _tidy(segments: list[Segment]) -> tuple[Segment, ...]:
    """Fold a lone space between two changes into both, so "a b" -> "c d" reads as one change."""
    spread: list[Segment] = []
    for index, segment in enumerate(segments):
        between = 0 < index < len(segments) - 1
        if segment.op == "equal" and between and not segment.text.strip():
            spread += [Segment("delete", segment.text), Segment("insert", segment.text)]
        else:
            spread.append(segment)
    result: list[Segment] = []
    run: dict[str, list[str]] = {"delete": [], "insert": []}
    for segment in [*spread, Segment("equal", "")]:
        if segment.op != "equal":
            run[segment.op].append(segment.text)
            continue
        for op in ("delete", "insert"):
            if run[op]:
                result.append(Segment(op, "".join(run[op])))  # type: ignore[arg-type]
            run[op] = []
        if segment.text:
            if result and result[-1].op == "equal":
                result[-1] = Segment("equal", result[-1].text + segment.text)
            else:
                result.append(segment)
    return tuple(result)


def _pair(
    old_keys: list[str],
    new_keys: list[str],
    olds: range | list[int],
    news: range | list[int],
    kind: str,
) -> dict[int, tuple[int, str]]:
    """Greedy best-first pairing of alike paragraphs: new index -> (old index, kind)."""
    if not olds or not news:
        return {}
    old_words = {i: old_keys[i].split() for i in olds}
    new_words = {j: new_keys[j].split() for j in news}
    old_sets = {i: set(w) for i, w in old_words.items()}
    scored = []
    for j in news:
        new_set = set(new_words[j])
        for i in olds:
            if old_keys[i] == new_keys[j]:
                scored.append((1.0, i, j))
                continue
            common = len(old_sets[i] & new_set)
            if 2 * common < PAIR_SIMILARITY * (len(old_sets[i]) + len(new_set)):
                continue
            ratio = SequenceMatcher(None, old_words[i], new_words[j], autojunk=False).ratio()
            if ratio >= PAIR_SIMILARITY:
                scored.append((ratio, i, j))
    pairs: dict[int, tuple[int, str]] = {}
    taken: set[int] = set()
    for _, i, j in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if i not in taken and j not in pairs:
            pairs[j] = (i, kind)
            taken.add(i)
    return pairs


def _key(paragraph: str) -> str:
    """A paragraph as compared: typography made uniform, its words and marks one space apart,
    case kept."""
    return " ".join(_WORD_OR_MARK.findall(paragraph.translate(_TYPOGRAPHY)))


def _token_key(token: str) -> str:
    return token.rstrip().translate(_TYPOGRAPHY) or " "


def _words(segments: tuple[Segment, ...], op: str) -> int:
    return sum(1 for s in segments if s.op == op for t in _TOKEN.findall(s.text) if _WORD.match(t))
