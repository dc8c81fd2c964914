"""Write a synthetic corpus of N film reviews (~4 kB each) for benchmarks at scale.

Usage: .venv/bin/python scripts/make_corpus.py N DIR [--seed S]

DIR must be missing or empty. The two real reviews of corpus/ are copied unchanged first (as
review-000.md and review-001.md, so the eval sets' review ids still point at them); the other N - 2
files, review-00002.md ..., are invented reviews of invented documentaries. Each one recombines the
real reviews' sentences with every name, place, venue, number, year and many adjectives substituted
(consistently within a review), mixes in sentences from templates, and shuffles them into
paragraphs: no synthetic review mentions Ai Weiwei or Never Sorry, so the real answers stay unique,
while words, lengths and chunk counts stay review-like. Review k is the same for a given seed
whatever N is. From Python: `write_corpus(n, directory, seed)` (used by scripts/bench.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REAL_CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REAL_NAMES = ("review-000.md", "review-001.md")

# fmt: off
# Word lists (kept compact; one list per kind of slot).
ARTIST_FIRST = """Mira Tomas Lena Osman Katya Idris Noor Pavel Selin Dario Ines Kofi Marta Yusuf Hana
    Emil Zora Bruno Leila Arjun Vera Milo Sanaa Jonas Talia Nikos Freya Amir Olga Rafael Juno Kenji
    Anouk Teo Ilse Farid Greta Luka Safiya Viktor Elif Hugo Ruth Marek Aiko Samir Lotte Dmitri Nadia
    Casper Iris Omar Petra Anton Yara Felix Dalia Ivo Maren Caleb Sofia Rainer Amara Bogdan""".split()
ARTIST_LAST = """Halvorsen Okafor Lindqvist Marchetti Duarte Kowalczyk Benali Varga Sorensen Ibarra
    Petrov Nakamura Achterberg Castellano Mbeki Horvath Quiroga Delacroix Novak Strand Adeyemi Ferreira
    Janssen Moreau Sato Kaplan Oyelaran Brandt Esposito Lindgren Mendez Wojcik Haddad Richter Silva
    Okonkwo Larsen Vidal Ozturk Bauer Kuznetsova Rinaldi Abara Nyberg Costa Fischer Tanaka Valdez
    Eriksen Mansour Zielinski Ortega Hoffmann Dubois Kamara Lund Barros Weiss Cardoso Ivanova Sandoval
    Keller Mwangi Aaltonen""".split()
SUBTITLES = [
    "Never Silent", "The Long Refusal", "Open Studio", "Against the Grain", "No Apologies",
    "The Quiet Objector", "Paper Walls", "The Last Exhibition", "Hands of Clay", "Ten Thousand Voices",
    "A Door Left Open", "The Unbroken Line", "Salt and Stone", "The Public Eye", "Under Watch",
    "Glass Houses", "The Empty Plinth", "Counting the Names", "Ash and Ink", "The Loud Room",
    "Still Standing", "A Year in Red", "Blueprints", "The Open Letter", "Borrowed Light",
    "The Second Studio", "Small Rebellions", "The Keeper of Names", "Shadow Archive", "Unfinished Works",
    "Breaking Ground", "The Far Shore", "Written in Dust", "The Border Garden", "Iron Fields",
    "Signal and Noise", "The Listening Wall", "After the Flood", "Common Ground", "A Ledger of Days",
]
CRITIC_FIRST = """Anna David Claire Simon Rachel Tom Helen Mark Laura Peter Sarah James Emma Daniel Kate
    Paul Alice Chris Julia Ben Nina Sam Grace Adam Lucy Owen Maya Josh Ella Ravi Chloe Luis""".split()
CRITIC_LAST = """Walsh Bennett Harper Cole Reid Mercer Fletcher Hale Price Dunn Shaw Lowe Marsh Quinn
    Rowe Blake Stone Webb Ford Page Holt Nash Carver Lane Pryce Doyle Finch Keane Moss Vance""".split()
OUTLET_A = """Northern Southern Coastal Harbour Capital Riverside Metro Evening Weekly Independent
    Midland Highland Valley Lakeside Western Eastern Civic Open Second Little""".split()
OUTLET_B = """Screen Review Gazette Film Journal Cinema Notes Reel Frame Picture House Projector
    Lens Critic Herald Dispatch Observer Quarterly Spectator Courier""".split()
CITIES = """Lisbon Oslo Lagos Warsaw Istanbul Nairobi Marseille Bogota Tbilisi Hanoi Dakar Krakow
    Porto Accra Bilbao Gdansk Tallinn Valparaiso Izmir Kampala Leipzig Seville Trieste Ghent Bergen
    Mombasa Cusco Tangier Tampere Brno Cluj Riga Aarhus Bologna Salvador Kochi Malmo Antwerp""".split()
COUNTRIES = [
    ("Veldonia", "Veldonian"), ("Carpathia", "Carpathian"), ("Ostrava", "Ostravan"), ("Meridia", "Meridian"),
    ("Kestania", "Kestanian"), ("Almora", "Almoran"), ("Torvia", "Torvian"), ("Zaruba", "Zaruban"),
    ("Lirenia", "Lirenian"), ("Sarnia", "Sarnian"), ("Novaria", "Novarian"), ("Ebrovia", "Ebrovian"),
]
VENUES = """Kunsthalle Arsenal Palazzo Pavilion Gallery Foundation Biennale Institute Forum Annex
    Warehouse Museum""".split()
FESTIVALS = [
    "Rotterdam International Film Festival", "Hot Docs Festival", "Sheffield DocFest", "CPH:DOX",
    "Visions du Reel", "IDFA", "Thessaloniki Documentary Festival", "DOK Leipzig", "True/False Festival",
    "Full Frame Documentary Festival", "Tribeca Film Festival", "Doclisboa", "Sarajevo Film Festival",
]
PLATFORMS = ["Instagram", "a microblog", "Telegram", "Facebook", "a video channel", "a podcast", "Tumblr"]
MATERIALS = [
    "porcelain teacups", "clay bricks", "bicycle wheels", "paper lanterns", "river stones", "glass beads",
    "wooden stools", "rubber boots", "tin cans", "silk threads", "copper coins", "broken tiles",
]
WORK_A = "Silent Chorus,Open Hands,Field of Names,The Ledger,Red Thread,Cold Harbour,Driftwood,Tide Marks"
WORK_B = "Grey Room,Salt Map,White Noise,Long Table,Stone Garden,Paper Sky,Night Shift,Low Tide"
WORK_TITLES = WORK_A.split(",") + WORK_B.split(",")
LANDMARKS = ["new Opera House", "Harbour Bridge", "National Library", "Olympic Pool", "Central Station"]
ERAS = ["Bronze Age", "Roman", "Ming-era", "Ottoman", "medieval", "Iron Age"]
UPHEAVALS = ["civil war", "military junta", "revolution", "occupation", "purges", "famine years"]
NUMBER_WORDS = "two three four five six seven eight nine ten eleven twelve".split()
ADJECTIVES = """absorbing arresting assured austere bracing brisk candid compelling confident damning
    deft dense elegant engrossing essential evocative exacting gripping haunting honest intimate lucid
    lyrical meticulous moving muted patient piercing playful pointed powerful probing provocative
    quiet rigorous restless searing sharp sober sprawling startling striking sturdy subtle sweeping
    tender tense thoughtful timely urgent uneven vivid wry ambitious earnest unflinching unsparing
    remarkable memorable formidable inventive uncompromising absorbing observant generous""".split()
# Adjectives of the real reviews that are replaced (by a different one at each occurrence).
REAL_ADJECTIVES = """suitable fascinating inspiring renowned profound vital eternal controversial
    courageous prominent vocal thorough nuanced complex impressive seasoned vibrant ominous
    overwhelming dramatic stunning incredible admirable strident""".split()

# Names and places of the real reviews, longest first, and the slot each becomes.
ENTITIES = [
    ("Ai Weiwei: Never Sorry", "film"), ("Never Sorry", "short"), ("Ai Weiwei", "artist"),
    ("Ai Qing", "father"), ("Alison Klayman", "director"), ("Klayman", "director_last"),
    ("Weiwei", "artist_last"), ("Ai", "artist_last"), ("Sundance Film Festival", "festival"),
    ("Tate Modern", "venue_1"), ("Munich Museum", "venue_2"), ("Exchange Flags", "venue_3"),
    ("FACT Liverpool", "venue_4"), ("Liverpool Biennial", "biennial"), ("Birds Nest", "landmark"),
    ("Sunflower Seeds", "work_1"), ("sunflower seeds", "material"), ("Web of Light", "work_2"),
    ("So Sorry", "work_3"), ("Twitter", "platform"), ("Beijing", "city_1"), ("Shanghai", "city_2"),
    ("London", "city_3"), ("Munich", "city_4"), ("Liverpool", "city_5"), ("New York", "city_6"),
    ("Sichuan", "city_7"), ("China", "country"), ("Chinese", "nationality"), ("Neolithic", "era"),
    ("Cultural Revolution", "upheaval"), ("Olympic", "olympic"), ("Mandarin", "language"),
]

# Invented sentences. {adj}, {a_adj}, {num}, {city}, {venue} and {work} get a new value at each
# occurrence; the other slots are the review's own (its artist, director, film, year...).
TEMPLATES = [
    "{director} keeps the camera close to {artist_last}, and the result is {a_adj} portrait of {a_adj} mind.",
    "At {minutes} minutes, {short} never outstays its welcome, although the middle third is {adj}.",
    "The score by {composer} is {adj} and {adj}, and it rarely tells us what to feel.",
    "{editor}'s editing moves between the studio in {city} and the streets of {city} with {adj} ease.",
    "Much of the film was shot over {num} months in {year}, mostly on handheld cameras.",
    "The archive footage of {artist_last}'s early shows in {city} is the most {adj} material here.",
    "{artist} has said that every work is a question, and {director_last} lets the questions stand.",
    "It is {a_adj} film about what it costs to keep speaking when the state would rather you didn't.",
    "Some viewers will find the pacing {adj}; others will be grateful for the patience.",
    "The exhibition {work} at the {venue} draws {num} thousand visitors in its first week.",
    "One long take follows {artist_last} through the {venue} as the crates of {material} arrive.",
    "The interviews with {artist_last}'s assistants are {adj}, and they say more than any narration.",
    "{director_last} never pretends to be neutral, but the film is {adj} about its own limits.",
    "By the time of the {year} retrospective in {city}, {artist_last} has become {a_adj} public figure.",
    "The cinematography by {dp} is {adj}, all grey mornings and {adj} night interiors.",
    "{short} premiered at {festival}, where it won the audience award.",
    "There are moments of {adj} humour too, especially when {artist_last} argues with a customs officer.",
    "The film's final image, {a_adj} shot of an empty studio, stays with you.",
    "Critics in {country} were divided, and the film was not shown there until {num} years later.",
    "{director} spent {num} years earning the trust of the artist and the people around {artist_last}.",
    "It is hard to think of {a_adj} documentary about an artist that feels this urgent.",
    "The sound design is {adj}: the click of cameras, the hum of the studio, the silence of the cell.",
    "The film touches on the {nationality} art market but wisely does not linger on it.",
    "Where the film falters is in its last {num} minutes, which feel {adj} and rushed.",
    "The installation {work}, made from {num} {material}, is filmed with {a_adj} eye for scale.",
    "{artist_last} grew up in {city}, the child of a poet, and the film returns there more than once.",
    "Few films have captured the texture of life under surveillance with such {adj} precision.",
    "{short} is rated 12A and runs for {minutes} minutes; it opens in {city} on {num} screens.",
    "{a_adj} sequence in a courtroom in {city} shows how little the verdict depended on the evidence.",
    "The film's use of {platform} posts as on-screen text is {adj} rather than gimmicky.",
    "Anyone interested in {nationality} contemporary art should see it; anyone else probably should too.",
    "In {year}, the authorities closed {artist_last}'s studio in {city} without notice.",
    "{director_last}'s previous film, about a choir in {city}, was {adj} but slight; this one is not.",
    "What emerges is {a_adj} study of courage, vanity and stubbornness in roughly equal measure.",
    "The film sometimes trusts its subject too much, and {artist_last}'s charm is {adj} and disarming.",
    "Funding came from {num} small donors and an arts council in {city}.",
    "There is {a_adj} scene in which {artist_last} counts out {num} {material} on a kitchen table.",
    "The subtitles are {adj}, and the translation of {artist_last}'s jokes survives better than most.",
    "{artist_last}'s mother appears only briefly, but hers is the film's most {adj} interview.",
    "{festival} gave {short} its jury prize in {year}, and it deserved it.",
]

# fmt: on


@dataclass(frozen=True)
class Slot:
    """What a numbered slot becomes: kind 'adj' (arg: its article or ''), 'num' (arg: the original
    number), 'year' (arg: the original year), 'word' (arg: the original number word) or 'pick' (arg:
    the name of the word list)."""

    kind: str
    arg: str


@dataclass(frozen=True)
class Pool:
    """The sentence templates (real and invented) and what their numbered slots stand for."""

    real: tuple[str, ...]
    invented: tuple[str, ...]
    slots: dict[str, Slot]


@dataclass(frozen=True)
class CorpusSummary:
    """What `write_corpus` wrote."""

    directory: Path
    reviews: int
    real: int
    total_bytes: int
    seconds: float

    def line(self, seed: int) -> str:
        """One line for people."""
        return (
            f"wrote {self.reviews} reviews ({self.real} real + {self.reviews - self.real} synthetic, "
            f"{self.total_bytes / 1e6:.1f} MB, {self.total_bytes / max(self.reviews, 1) / 1e3:.1f} kB "
            f"each on average) to {self.directory} in {self.seconds:.1f} s (seed {seed})"
        )


_PICK_LISTS: dict[str, list[str]] = {
    "city": CITIES,
    "work": WORK_TITLES,
    "material": MATERIALS,
    "festival": FESTIVALS,
    "platform": PLATFORMS,
    "landmark": LANDMARKS,
    "era": ERAS,
    "upheaval": UPHEAVALS,
    "biennial": [f"{c} Biennial" for c in CITIES],
    "olympic": ["Commonwealth", "Expo", "Jubilee", "Millennium"],
    "language": ["Portuguese", "Georgian", "Turkish", "Polish", "Swahili", "Catalan"],
}
_NUMBER_RE = re.compile(r"\b\d+(?:\.\d+)?\b")
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b")
_ADJECTIVE_RE = re.compile(r"\b(?:(a|an|A|An) )?(" + "|".join(REAL_ADJECTIVES) + r")\b")
_ENTITY_RE = re.compile("|".join(r"\b" + re.escape(name) + r"\b" for name, _ in ENTITIES))
_ENTITY_SLOT = dict(ENTITIES)
_GENERIC_RE = re.compile(r"\{(adj|a_adj|num|city|venue|work)\}")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][’”])\s+")


def real_bodies(real_dir: Path = REAL_CORPUS) -> list[str]:
    """Return the review texts (after the front matter) of the real reviews."""
    bodies = []
    for name in REAL_NAMES:
        raw = (real_dir / name).read_text(encoding="utf-8")
        bodies.append(raw.split("\n---\n", 1)[1])
    return bodies


def split_sentences(body: str) -> list[str]:
    """Return the prose sentences of `body` (headings and credit lines without a full stop dropped).

    >>> split_sentences("Directed by X\\n\\nThe film is very good. It made $2.4 million in all. Short!")
    ['The film is very good.', 'It made $2.4 million in all.']
    """
    found = []
    for paragraph in body.split("\n"):
        for sentence in _SENTENCE_END_RE.split(paragraph.strip()):
            if sentence.endswith((".", "!", "?", "’", "”")) and len(sentence) > 20:
                found.append(sentence)
    return found


class _Numberer:
    """Turns the variable parts of a sentence into numbered format slots, recording what they were."""

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}

    def new(self, kind: str, arg: str) -> str:
        key = f"{kind}{len(self.slots)}"
        self.slots[key] = Slot(kind, arg)
        return "{" + key + "}"

    def real_template(self, sentence: str) -> str:
        text = sentence.replace("{", "{{").replace("}", "}}")
        text = _ENTITY_RE.sub(lambda m: "{" + _ENTITY_SLOT[m.group(0)] + "}", text)
        text = _NUMBER_RE.sub(self._number, text)
        text = _WORD_NUMBER_RE.sub(lambda m: self.new("word", m.group(1)), text)
        return _ADJECTIVE_RE.sub(lambda m: self.new("adj", m.group(1) or ""), text)

    def invented_template(self, template: str) -> str:
        return _GENERIC_RE.sub(self._generic, template)

    def _number(self, match: re.Match[str]) -> str:
        value = match.group(0)
        if len(value) == 4 and value.isdigit() and 1900 <= int(value) <= 2030:
            return "{year_" + value + "}"
        # Keyed by the value, so that "81 days" is the same number wherever a review repeats it.
        key = "num_" + value.replace(".", "p")
        self.slots[key] = Slot("num", value)
        return "{" + key + "}"

    def _generic(self, match: re.Match[str]) -> str:
        kind = match.group(1)
        if kind in ("adj", "a_adj"):
            return self.new("adj", "a" if kind == "a_adj" else "")
        if kind == "num":
            return self.new("num", "12")
        return self.new("pick", kind)


@functools.cache
def sentence_pool(real_dir: Path = REAL_CORPUS) -> Pool:
    """Return the templates made from the real reviews' sentences and from TEMPLATES."""
    numberer = _Numberer()
    real = [numberer.real_template(s) for body in real_bodies(real_dir) for s in split_sentences(body)]
    invented = [numberer.invented_template(t) for t in TEMPLATES]
    return Pool(tuple(real), tuple(invented), numberer.slots)


class Facts(dict[str, str]):
    """One review's values for the template slots: its cast is set up front; every other slot is
    drawn the first time a sentence asks for it and kept, so a review stays consistent."""

    def __init__(self, rng: random.Random, slots: dict[str, Slot], cast: dict[str, str], shift: int) -> None:
        super().__init__(cast)
        self.rng = rng
        self.slots = slots
        self.shift = shift

    def __missing__(self, key: str) -> str:
        value = self._draw(key)
        self[key] = value
        return value

    def _draw(self, key: str) -> str:
        rng = self.rng
        if key == "year":
            return str(2012 + self.shift)
        if key.startswith("year_"):
            return str(int(key[5:]) + self.shift)
        slot = self.slots.get(key)
        if slot is None:
            base = key.split("_")[0]
            if base in ("composer", "editor", "dp"):
                return f"{rng.choice(ARTIST_FIRST)} {rng.choice(ARTIST_LAST)}"
            if base == "minutes":
                return str(rng.randint(74, 128))
            if base == "venue":
                return f"{rng.choice(CITIES)} {rng.choice(VENUES)}"
            return rng.choice(_PICK_LISTS[base])
        if slot.kind == "adj":
            word = rng.choice(ADJECTIVES)
            if not slot.arg:
                return word
            article = "an" if word[0] in "aeiou" else "a"
            return f"{article.capitalize() if slot.arg[0].isupper() else article} {word}"
        if slot.kind == "num":
            return _scaled(rng, slot.arg)
        if slot.kind == "word":
            return rng.choice(NUMBER_WORDS)
        return self._draw(slot.arg)


def _scaled(rng: random.Random, original: str) -> str:
    """Return a number of the same kind as `original` (integer or one decimal), 0.3x to 3x its size."""
    value = float(original) * rng.uniform(0.3, 3.0)
    return f"{value:.1f}" if "." in original else str(max(2, round(value)))


def _film_identity(index: int, seed: int) -> tuple[str, str]:
    """Return (artist, subtitle), different for every index below len(first x last x subtitles)."""
    size = len(ARTIST_FIRST) * len(ARTIST_LAST) * len(SUBTITLES)
    step = 7919
    while math.gcd(step, size) != 1:
        step += 2
    k = (index * step + seed * 104729) % size
    first = ARTIST_FIRST[k % len(ARTIST_FIRST)]
    last = ARTIST_LAST[(k // len(ARTIST_FIRST)) % len(ARTIST_LAST)]
    subtitle = SUBTITLES[k // (len(ARTIST_FIRST) * len(ARTIST_LAST))]
    if index >= size:
        subtitle += f" (Part {index // size + 1})"
    return f"{first} {last}", subtitle


def _cast(rng: random.Random, index: int, seed: int) -> dict[str, str]:
    artist, subtitle = _film_identity(index, seed)
    artist_last = artist.split()[-1]
    director_first, director_last = rng.choice(CRITIC_FIRST), rng.choice(ARTIST_LAST)
    country, nationality = rng.choice(COUNTRIES)
    return {
        "artist": artist,
        "artist_last": artist_last,
        "father": f"{rng.choice(ARTIST_FIRST)} {artist_last}",
        "film": f"{artist}: {subtitle}",
        "short": subtitle,
        "director": f"{director_first} {director_last}",
        "director_last": director_last,
        "country": country,
        "nationality": nationality,
    }


def review_body(rng: random.Random, facts: Facts, pool: Pool) -> str:
    """Return a review text of about 3.3-4.3 kB: shuffled real and invented sentences in paragraphs."""
    target = rng.randint(3300, 4300)
    real, invented = list(pool.real), list(pool.invented)
    rng.shuffle(real)
    rng.shuffle(invented)
    sentences: list[str] = []
    length = 0
    while length < target:
        source = invented if (rng.random() < 0.35 and invented) or not real else real
        if not source:
            break
        sentence = source.pop().format_map(facts)
        sentences.append(sentence[0].upper() + sentence[1:])
        length += len(sentence) + 1
    paragraphs = []
    while sentences:
        take = rng.randint(2, 6)
        paragraphs.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    if rng.random() < 0.3:
        paragraphs.insert(0, f"Directed by {facts['director']}")
    if rng.random() < 0.2:
        paragraphs.append(f"{facts['film']}\nShowing at the {facts['venue_x']} and on tour")
    return "\n\n".join(paragraphs) + "\n"


def synthetic_review(index: int, seed: int, pool: Pool) -> str:
    """Return the file text of synthetic review number `index` (front matter and body)."""
    rng = random.Random(f"make_corpus:{seed}:{index}")
    shift = rng.randint(-22, 10)
    facts = Facts(rng, pool.slots, _cast(rng, index, seed), shift)
    body = review_body(rng, facts, pool)
    year = 2012 + shift
    date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 500))
    outlet = f"{rng.choice(['The ', ''])}{rng.choice(OUTLET_A)} {rng.choice(OUTLET_B)}"
    title = rng.choice(["{f}", "{f} review", "Review: {f}", "{f}: {a} portrait", "{s}, reviewed"])
    title = title.format(f=facts["film"], s=facts["short"], a=rng.choice(ADJECTIVES).capitalize())
    url = f"https://{_slug(outlet)}.example/{year}/{_slug(title)}/"
    meta = [
        ("title", _quoted(title)),
        ("outlet", _quoted(outlet)),
        ("author", _quoted(f"{rng.choice(CRITIC_FIRST)} {rng.choice(CRITIC_LAST)}")),
        ("date", date.isoformat()),
        ("url", _quoted(url)),
        ("film", _quoted(f"{facts['film']} ({year}, dir. {facts['director']})")),
        ("source", _quoted(f"synthetic: scripts/make_corpus.py seed {seed}, review {index}")),
    ]
    header = "# Synthetic review made by scripts/make_corpus.py for benchmarks: not a real review."
    lines = ["---", header, *(f"{key}: {value}" for key, value in meta), "---"]
    return "\n".join(lines) + "\n" + body


def _quoted(text: str) -> str:
    """Return `text` as a double-quoted YAML scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def review_name(index: int, n: int) -> str:
    """Return the file name of review `index` in a corpus of `n`: the real ones keep their names."""
    if index < len(REAL_NAMES):
        return REAL_NAMES[index]
    return f"review-{index:0{max(5, len(str(n - 1)))}d}.md"


def write_corpus(n: int, directory: Path, seed: int = 0, real_dir: Path = REAL_CORPUS) -> CorpusSummary:
    """Write `n` reviews into `directory` (created; must be missing or empty); return a summary."""
    if n < 1:
        raise ValueError("the corpus needs at least 1 review")
    if directory.exists() and any(directory.iterdir()):
        raise ValueError(f"{directory} is not empty: give a new or empty folder")
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    real = min(n, len(REAL_NAMES))
    for index in range(real):
        shutil.copyfile(real_dir / REAL_NAMES[index], directory / REAL_NAMES[index])
        total += (directory / REAL_NAMES[index]).stat().st_size
    pool = sentence_pool(real_dir)
    for index in range(real, n):
        data = synthetic_review(index, seed, pool).encode("utf-8")
        (directory / review_name(index, n)).write_bytes(data)
        total += len(data)
    return CorpusSummary(directory, n, real, total, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, metavar="N", help="number of reviews, the 2 real ones included")
    parser.add_argument("directory", type=Path, metavar="DIR", help="output folder (missing or empty)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        summary = write_corpus(args.n, args.directory, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.line(args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
