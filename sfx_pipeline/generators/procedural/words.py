"""Prompt text -> word stems, and the modifier words that shape a family's sound.

The stemmer is deliberately tiny: it only has to map a prompt word and a trigger word to
the same key ("raining"/"rain", "doors"/"door", "crackling"/"crackle", "creaky"/"creak"),
not to be linguistically right. Both sides go through the same function, so consistency
is all that matters.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+")
_UNDOUBLE_KEEP = set("lsz")  # "falling" -> "fall", "hissing" -> "hiss", but "dripping" -> "drip"


def tokens(prompt: str) -> list[str]:
    """Lowercased alphanumeric words; hyphens and punctuation split ("power-up" -> power, up)."""
    return _TOKEN.findall(prompt.lower())


def stem(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 4 and w.endswith("es") and w[-4:-2] in ("sh", "ch", "ss") or w.endswith("xes"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in _UNDOUBLE_KEEP and w[-1].isalpha():
                w = w[:-1]
            break
    if len(w) > 3 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]
    if len(w) > 4 and w.endswith("y"):
        w = w[:-1]
    return w


# Inflections whose stem would trigger the wrong family: "lasers firing" is not a fire.
_NOT_TRIGGERS = frozenset({"firing", "fired"})


def stems_with_pairs(prompt: str) -> list[tuple[str, int]]:
    """(stem, position) for every word and every adjacent pair joined, so "power up",
    "power-up" and "powerup" all yield the stem "powerup" and "pick up" yields "pickup"."""
    toks = tokens(prompt)
    out = [(stem(t), i) for i, t in enumerate(toks) if t not in _NOT_TRIGGERS]
    out += [(stem(a + b), i) for i, (a, b) in enumerate(zip(toks, toks[1:]))]
    return out


def word_set(prompt: str) -> frozenset[str]:
    """What the family functions see: raw words and their stems, so a modifier check can use
    either spelling ("heavy" or its stem)."""
    toks = tokens(prompt)
    return frozenset(toks) | frozenset(s for s, _ in stems_with_pairs(prompt))


# ---------------------------------------------------------------------------------------
# Modifiers shared by several families


def has(words: frozenset[str], *candidates: str) -> bool:
    return any(c in words for c in candidates)


def intensity(words: frozenset[str]) -> float:
    """> 1 for heavy/big sounds, < 1 for light/small ones."""
    if has(words, "heavy", "huge", "massive", "big", "giant", "loud", "strong", "intense",
           "violent", "torrential", "powerful", "large", "hard", "epic"):
        return 1.5
    if has(words, "light", "small", "soft", "gentle", "quiet", "tiny", "little", "faint",
           "subtle", "weak", "drizzle", "calm", "mild"):
        return 0.65
    return 1.0


def distant(words: frozenset[str]) -> bool:
    return has(words, "distant", "far", "faraway", "remote", "muffled", "background", "away")


def speed(words: frozenset[str]) -> float:
    """> 1 for fast/running, < 1 for slow."""
    if has(words, "fast", "quick", "quickly", "rapid", "running", "run", "sprint", "sprinting",
           "hurried", "hurry", "rushing", "jog", "jogging"):
        return 1.7
    if has(words, "slow", "slowly", "sneak", "sneaking", "creeping", "tiptoe", "careful",
           "heavy", "lumbering", "tired"):
        return 0.7
    return 1.0
