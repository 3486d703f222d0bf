"""Chinese that SNN readers trust: one term for one concept, and URLs GitHub links correctly.

Machine translation renders "spiking neural network" as 尖峰神经网络, 尖刺神经网络,
加标神经网络 or 钉状神经网络; the community writes 脉冲神经网络. `normalize` rewrites known
mistranslations to the canonical terms after translation, and puts spaces around URLs glued to
Chinese text (`https://github.com/SRKH/S4NN公开获得`), so the autolinker sees exactly the URL.
Pure functions; the version changes whenever the tables do, so cached translations made with
another glossary can be told apart.
"""

from __future__ import annotations

import hashlib
import json
import re

GLOSSARY: dict[str, str] = {
    "spiking neural network": "脉冲神经网络",
    "spiking neuron": "脉冲神经元",
    "spike train": "脉冲序列",
    "spike": "脉冲",
    "membrane potential": "膜电位",
    "leaky integrate-and-fire": "泄漏积分发放",
    "surrogate gradient": "替代梯度",
    "spike-timing-dependent plasticity": "脉冲时间依赖可塑性",
    "neuromorphic": "神经形态",
    "event camera": "事件相机",
    "dynamic vision sensor": "动态视觉传感器",
}
"""English term -> the canonical Chinese term."""

# Mistranslations seen in machine output (the original log has all of these), longest first
# so that a compound is rewritten before its parts.
MISTRANSLATIONS: dict[str, str] = {
    "尖峰神经网络": "脉冲神经网络",
    "尖刺神经网络": "脉冲神经网络",
    "加标神经网络": "脉冲神经网络",
    "钉状神经网络": "脉冲神经网络",
    "峰值神经网络": "脉冲神经网络",
    "突刺神经网络": "脉冲神经网络",
    "尖峰神经元": "脉冲神经元",
    "尖刺神经元": "脉冲神经元",
    "加标神经元": "脉冲神经元",
    "尖峰序列": "脉冲序列",
    "尖峰列车": "脉冲序列",
    "尖峰时间依赖的可塑性": "脉冲时间依赖可塑性",
    "尖峰时间依赖可塑性": "脉冲时间依赖可塑性",
    "尖峰定时依赖可塑性": "脉冲时间依赖可塑性",
    "依赖于尖峰时间的可塑性": "脉冲时间依赖可塑性",
    "代理梯度": "替代梯度",
    "事件照相机": "事件相机",
    "事件摄像机": "事件相机",
    "神经拟态": "神经形态",
    "尖峰": "脉冲",
    "尖刺": "脉冲",
}


class Glossary:
    """A terminology table and the corrections that enforce it (`[translate] glossary` and
    `corrections` in config.toml; the tables above are the defaults)."""

    def __init__(self, terms: dict[str, str], corrections: dict[str, str]) -> None:
        self.terms = dict(terms)
        self.corrections = dict(corrections)
        self.version = hashlib.sha256(
            json.dumps([terms, corrections], ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()[:12]
        """Changes whenever the tables change: cached translations are keyed by it."""
        keys = sorted(self.corrections, key=len, reverse=True)  # compounds before their parts
        self._mistake = re.compile("|".join(map(re.escape, keys))) if keys else None

    def normalize_terms(self, text: str) -> str:
        """Known mistranslations replaced by the canonical terms."""
        if self._mistake is None:
            return text
        return self._mistake.sub(lambda m: self.corrections[m.group(0)], text)

    def normalize(self, text: str) -> str:
        """The canonical terms, and URLs standing apart."""
        return separate_urls(self.normalize_terms(text))


DEFAULT = Glossary(GLOSSARY, MISTRANSLATIONS)
VERSION = DEFAULT.version
# A URL as GFM's autolinker reads it: ASCII up to whitespace, '<', or a non-ASCII character.
_URL = re.compile(r"(?:https?://|www\.)[\x21-\x7e]+")


def normalize_terms(text: str) -> str:
    """Known mistranslations replaced by the default canonical terms."""
    return DEFAULT.normalize_terms(text)


_TRAILING = set("?!.,:*_~")
"""Characters GFM's autolinker drops from the end of a URL by itself."""


def separate_urls(text: str) -> str:
    """A space between a URL and characters glued to it, so that GitHub links exactly the URL
    (`https://github.com/SRKH/S4NN公开获得` -> `https://github.com/SRKH/S4NN 公开获得`)."""

    def fix(match: re.Match[str]) -> str:
        url = match.group(0)
        core = url.rstrip("?!.,:;*_~'\")]}")
        while core != url and url[len(core)] in ")]}" and core.count("(") > core.count(")"):
            core = url[: len(core) + 1]  # a closing bracket that belongs to the URL
        tail = url[len(core) :]
        start, end = match.start(), match.end()
        before = " " if start > 0 and not text[start - 1].isspace() else ""
        glued = end < len(text) and not text[end].isspace()
        if tail and not set(tail) <= _TRAILING:
            return before + core + " " + tail  # GFM would keep these in the link
        return before + core + tail + (" " if glued else "")

    return _URL.sub(fix, text)


def normalize(text: str) -> str:
    """The default canonical terms, and URLs standing apart."""
    return DEFAULT.normalize(text)
