"""The registry of all families, and the trigger table that maps prompt words to them.

Every family is `(rng, duration, rate, words) -> np.ndarray` of exactly
`n_samples(duration, rate)` samples, any scale (synth.py normalises). `words` holds the
prompt's raw words and their stems, for modifiers such as "heavy" or "distant". All random
detail comes from `rng` so a seed change gives a different take of the same sound.
The families live in elements.py, objects.py and arcade.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import arcade
from .elements import explosion, fire, rain, thunder, water, wind
from .objects import birds, door, engine, footsteps, glass, metal, whoosh
from .words import stem

Family = Callable[[np.random.Generator, float, int, frozenset[str]], np.ndarray]

FAMILIES: dict[str, Family] = {
    "rain": rain, "wind": wind, "fire": fire, "water": water, "thunder": thunder,
    "explosion": explosion, "footsteps": footsteps, "door": door, "glass": glass,
    "metal": metal, "engine": engine, "birds": birds, "whoosh": whoosh,
    "coin": arcade.coin, "laser": arcade.laser, "jump": arcade.jump,
    "powerup": arcade.powerup, "hit": arcade.hit, "blip": arcade.blip,
}

# family -> (strong trigger words, weak trigger words). Weak words are materials or
# ambiguous words: they still classify ("on a metal roof" lists "metal") but rank last
# and do not get their own layer mixed in.
_TRIGGER_WORDS: dict[str, tuple[str, str]] = {
    "rain": ("rain raindrop drizzle downpour rainfall rainstorm raining thunderstorm=0.9",
             "storm shower"),
    "wind": ("wind breeze gust gale blizzard windy blustery howling", "draft blowing howl"),
    "fire": ("fire flame crackle campfire bonfire fireplace burning blaze inferno ember torch",
             "burn"),
    "water": ("water splash wave ocean sea surf stream river brook creek babbling trickle drip "
              "waterfall fountain bubble puddle shore tide gurgle plop underwater faucet",
              "beach lake flow liquid pour droplet leak"),
    "thunder": ("thunder thunderclap lightning thunderstorm", "rumble storm"),
    "explosion": ("explosion explode explosive bomb grenade detonation kaboom dynamite "
                  "gunshot gunfire nuke", "blast boom cannon"),
    "footsteps": ("footstep step walk walking stomp sneak stride march footfall tread", "jog"),
    "door": ("door creak hinge knock slam doorway latch", "squeak gate"),
    "glass": ("glass shatter clink window bottle tinkle", "smash crystal"),
    "metal": ("clash clang chain anvil hammer clank rattle gong parry",
              "sword blade katana metal metallic steel iron bell jingle"),
    "engine": ("engine motor truck motorcycle motorbike vehicle revving idling tractor", "car rev"),
    "birds": ("bird chirp tweet songbird birdsong sparrow robin warble seagull", "crow owl"),
    "whoosh": ("whoosh swoosh swish swing arrow woosh swoop flyby", "whip"),
    "coin": ("coin pickup collect", "money cash gem loot treasure"),
    "laser": ("laser blaster phaser zap pew raygun", "ray"),
    "jump": ("jump hop boing", "bounce spring"),
    "powerup": ("powerup upgrade levelup", "buff"),
    "hit": ("hit punch impact smack slap whack thud bonk", "kick strike thump hurt damage"),
    "blip": ("blip click beep select menu button ui bleep cursor confirm hover", "notification tick"),
}

STRONG = 1.0
WEAK = 0.5
MIX_THRESHOLD = 0.75  # a second family gets its own layer only with a score this high

# stem -> [(family, weight)]. "word=0.9" overrides the weight: a thunderstorm is thunder
# first, but with rain strong enough to be mixed in.
TRIGGERS: dict[str, list[tuple[str, float]]] = {}
for _family, (_strong, _weak) in _TRIGGER_WORDS.items():
    for _words, _default in ((_strong, STRONG), (_weak, WEAK)):
        for _entry in _words.split():
            _w, _, _given = _entry.partition("=")
            TRIGGERS.setdefault(stem(_w), []).append((_family, float(_given) if _given else _default))
