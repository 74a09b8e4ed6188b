"""Benchmark text: a vocabulary with a Zipf-like word distribution, and fast text from it.

Pure module (no ORM). Real IT-support words take the most frequent ranks, generated
pronounceable words the long tail, so a benchmark can search for a *common* word (rank 1),
a *rare* one (deep in the tail: a handful of hits at 10k tickets, ~1k at 1M), a *prefix* and
a *phrase* that really occurs. Text is cut from a pre-drawn corpus (windows of a long Zipf
sample), which keeps the word frequencies and costs microseconds per body instead of one
random draw per word.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

HEAD = (
    "the to and a is of in for not on with it my error after user please can since when "
    "password printer vpn email outlook network access laptop account screen update server "
    "connection reset login teams file folder wifi phone install license request new issue "
    "working again today morning office remote slow crash freeze timeout certificate expired "
    "locked permission denied share drive backup restore disk full monitor keyboard mouse "
    "battery charger docking station headset camera microphone meeting calendar invite "
    "sharepoint onedrive excel word powerpoint pdf scanner badge door building desk chair "
    "firewall proxy dns dhcp router switch cable port latency packet loss database report "
    "dashboard export import invoice erp crm mobile tablet token unlock configure migrate "
    "replace repair upgrade software hardware malware phishing virus antivirus encryption "
    "bitlocker recovery key domain controller group policy mailbox quota archive signature "
    "rule forwarding spam quarantine attachment blocked download upload browser chrome "
    "firefox edge cache cookie session sso mfa authenticator code sms app store device "
    "enrollment intune compliance patch reboot driver bluetooth audio video display resolution "
    "projector hdmi adapter usb storage ssd memory cpu fan noise overheating warranty"
).split()
PHRASES = (
    "password reset",
    "vpn connection drops",
    "printer out of toner",
    "cannot access shared drive",
    "outlook keeps asking for my password",
    "blue screen after update",
    "new laptop request",
    "account locked out",
    "certificate has expired",
    "teams meeting has no audio",
)
_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fl gr kl pl pr sk sl st tr".split()
_VOWELS = "a e i o u ai ea ie oo ou".split()
_CODAS = ["", "", "n", "r", "s", "t", "l", "m", "x", "nd", "rt", "st"]
# Zipf exponent: s ≈ 1 is what natural-language word counts show.
EXPONENT = 1.0


def _generated_words(count: int, seed: int, taken: set[str]) -> list[str]:
    rng = random.Random(seed)
    words: list[str] = []
    while len(words) < count:
        syllables = rng.randint(2, 4)
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if word not in taken and len(word) >= 5:
            taken.add(word)
            words.append(word)
    return words


@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def build(cls, size: int = 20_000, seed: int = 7) -> Vocabulary:
        head = list(dict.fromkeys(HEAD))
        tail = _generated_words(max(size - len(head), 0), seed, set(head))
        words = tuple(head + tail)
        weights = (1.0 / (rank**EXPONENT) for rank in range(1, len(words) + 1))
        return cls(words, tuple(itertools.accumulate(weights)))

    @property
    def common_word(self) -> str:
        """The most frequent content word (ranks before it are stop-word-like)."""
        return "password"

    @property
    def rare_word(self) -> str:
        """A tail word: ~1 in 150,000 words of text."""
        return self.words[min(len(self.words) - 1, 15_000)]

    @property
    def prefix(self) -> str:
        """A partial word matching a few head words (connection, configure, ...)."""
        return "con"

    @property
    def phrase(self) -> str:
        return PHRASES[0]

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=k)


class TextSource:
    """Subjects and bodies cut from one pre-drawn Zipf corpus (fast, deterministic)."""

    def __init__(self, rng: random.Random, vocabulary: Vocabulary, corpus_words: int = 400_000):
        self.rng = rng
        self.vocabulary = vocabulary
        self.corpus = vocabulary.sample(rng, corpus_words)
        # The rare word is in every corpus, whatever the seed: a few times, spread out.
        for position in (corpus_words // 5, corpus_words // 2, corpus_words * 4 // 5):
            self.corpus[position] = vocabulary.rare_word
        self._limit = corpus_words - 200

    def words(self, low: int, high: int) -> str:
        """``low``..``high`` words; one in five texts carries a stock phrase."""
        random_ = self.rng.random
        start = int(random_() * self._limit)
        text = " ".join(self.corpus[start : start + low + int(random_() * (high - low + 1))])
        if random_() < 0.2:
            text = f"{text} {PHRASES[int(random_() * len(PHRASES))]}"
        return text

    def subject(self) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            lead = PHRASES[int(rng.random() * len(PHRASES))]
            return f"{lead.capitalize()} {self.words(0, 3)}".strip()
        return self.words(3, 8).capitalize()
