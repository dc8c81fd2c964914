"""Training pairs for the reader: (question, sentence, label) where 1 means the sentence STATES the answer.

Reproducible from a seed. Sources: the review texts and eval/train_questions.jsonl only (never the dev,
test or blind sets). Three kinds of pairs:

- positives: training questions against the sentence(s) holding their evidence quote, and questions made
  by rules (`FACTS`) against every sentence whose text matches the rule's answer pattern;
- near-miss negatives: a positive question changed so the sentence no longer states the answer (a
  swapped role or attribute, a detail the sentence does not give, another film or person), labelled 0
  against the sentence it was positive for;
- hard negatives: positive questions against the other sentences of the paragraph and against the
  sentences sharing the most words with them; unanswerable and off-topic training questions against
  their most word-overlapping sentences.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .chunking import split_sentences
from .corpus import load_reviews

TRAIN_QUESTIONS = Path("eval/train_questions.jsonl")
# Two LLM paraphrases of each training question (scripts/paraphrase_questions.py writes them).
PARAPHRASES = Path("eval/train_paraphrases.jsonl")
CORPUS_DIR = Path("corpus")
HELDOUT_QUESTIONS = tuple(Path(f"eval/{name}_questions.jsonl") for name in ("dev", "dev2", "test", "blind"))
NEAR_COPY = 0.6  # Jaccard of word sets: the limit tests/test_eval_set.py applies to training questions


@dataclass(frozen=True)
class Sentence:
    review_id: str
    index: int
    paragraph: int
    text: str


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    label: int
    source: str  # train_pos, rule_pos, near_miss, swap_role, swap_entity, cross_fact, paragraph, lexical, ...
    review_id: str


@dataclass(frozen=True)
class Fact:
    """Questions a sentence answers when it matches `answer` (a case-insensitive regex).

    `near` are questions on the same subject that a matching sentence does NOT answer. Sentences that
    match `maybe` are left out of this fact's negatives (they half-state it). `kind` groups facts whose
    questions are swapped against each other's sentences (how many X vs how many Y).
    """

    name: str
    kind: str
    answer: str
    questions: tuple[str, ...]
    near: tuple[str, ...] = ()
    maybe: str = ""


def F(
    name: str, kind: str, answer: str, questions: Iterable[str], near: Iterable[str] = (), maybe: str = ""
) -> Fact:
    return Fact(name, kind, answer, tuple(questions), tuple(near), maybe)


FACTS: tuple[Fact, ...] = (
    F(
        "director",
        "person",
        r"direct(?:ed by|or) alison klayman|alison klayman.s debut",
        [
            "Who directed the film?",
            "Who was the director of Ai Weiwei: Never Sorry?",
            "Who is the director of the documentary?",
            "Which filmmaker made Never Sorry?",
            "Who made this documentary about Ai?",
        ],
        [
            "Who wrote the soundtrack for Never Sorry?",
            "Who edited the film?",
            "Which producer backed Ai Weiwei: Never Sorry?",
            "Who shot the documentary?",
            "Who operated the camera on Never Sorry?",
            "Who narrated the film?",
            "Who wrote the score for the documentary?",
            "Who directed the opening ceremony of the 2008 Olympics?",
            "Who directed Ai Weiwei: The Fake Case?",
            "Who distributed the film?",
            "What is Alison Klayman's birthplace?",
            "How old is Alison Klayman?",
            "Who was the executive producer of Never Sorry?",
            "When was Alison Klayman born?",
            "Which studio released the film?",
        ],
        maybe=r"klayman",
    ),
    F(
        "writer",
        "person",
        r"writer and director alison klayman",
        ["Who wrote Ai Weiwei: Never Sorry?", "Who was the writer of the documentary?"],
        ["Who wrote the book the film is based on?", "Who wrote the music for the documentary?"],
    ),
    F(
        "tagline",
        "quote",
        r"never retreat, always retweet",
        ["What tagline would suit the documentary?", "What would be a suitable tagline for Never Sorry?"],
        ["What tagline is printed on the film's poster?", "What was the slogan of the 2008 Olympics?"],
    ),
    F(
        "ending",
        "quote",
        r"film ends with",
        [
            "With what words does the film close?",
            "How does the documentary end?",
            "What are the last words of the film?",
        ],
        [
            "What words does the film open with?",
            "What is the first line of the film?",
            "How does the review end?",
        ],
    ),
    F(
        "activist",
        "description",
        r"social media activist",
        ["What kind of activist is Ai Weiwei?", "How does the review describe Ai Weiwei?"],
        ["What kind of activist is Alison Klayman?", "Which political party does Ai belong to?"],
    ),
    F(
        "nationality",
        "description",
        r"chinese artist|china.s most prominent",
        ["What nationality is Ai Weiwei?", "Which country is Ai Weiwei from?"],
        ["What nationality is Alison Klayman?", "Which country does Alison Klayman come from?"],
    ),
    F(
        "prominence_year",
        "year",
        r"global prominence in 2003",
        [
            "When did Ai become known around the world?",
            "In what year did he become famous worldwide?",
            "What year did Ai consult on the Birds Nest?",
        ],
        [
            "When was the Birds Nest stadium completed?",
            "In what year did Ai start using Twitter?",
            "When was Ai Weiwei born?",
            "In what year did Ai move to Beijing?",
        ],
    ),
    F(
        "birds_nest",
        "thing",
        r"birds nest",
        ["What stadium did Ai help design?", "Which building did Ai consult on?", "What is the Birds Nest?"],
        [
            "Who was the architect of the Birds Nest?",
            "How much did the Birds Nest cost to build?",
            "How many people does the Birds Nest hold?",
            "What is Ai Weiwei's birthplace?",
            "Which stadium did Ai design in London?",
        ],
    ),
    F(
        "olympics",
        "thing",
        r"denounced the 2008 olympics",
        [
            "Which Olympics did Ai denounce?",
            "What did Ai publicly denounce?",
            "Who did denouncing the Olympics put him in conflict with?",
            "Why did Ai come into conflict with the government?",
        ],
        [
            "Which Olympics did Ai attend?",
            "Who won the most medals at the 2008 Olympics?",
            "When did the 2008 Olympics open?",
            "Which Olympics did Ai support?",
        ],
    ),
    F(
        "blog_shutdown",
        "reason",
        r"shutdown his blog|promptly shut down",
        ["Why was Ai's blog shut down?", "What happened to Ai's blog?", "Who shut down Ai's blog?"],
        [
            "What was the name of Ai's blog?",
            "When did Ai start his blog?",
            "How many readers did Ai's blog have?",
            "Which company hosted Ai's blog?",
            "When was the blog restored?",
        ],
    ),
    F(
        "students_count",
        "count",
        r"five thousand students|5000 victims",
        [
            "How many students died in the Sichuan earthquake?",
            "How many victims' names did Ai collect?",
            "How many names of dead students did he publish?",
        ],
        [
            "How many teachers died in the Sichuan earthquake?",
            "How many school buildings fell down in the quake?",
            "How many people were injured in the Sichuan earthquake?",
            "How many students died in the Haiti earthquake?",
        ],
    ),
    F(
        "quake_year",
        "year",
        r"2008 sichuan earthquake",
        ["Which year did the Sichuan quake strike?", "When did the Sichuan earthquake happen?"],
        [
            "What was the magnitude of the Sichuan earthquake?",
            "In what year was the Haiti earthquake?",
            "At what time of day did the earthquake strike?",
        ],
    ),
    F(
        "quake_cause",
        "reason",
        r"poor build quality|unsound government buildings",
        ["Why did so many students die in the earthquake?", "Why did the schoolchildren die?"],
        ["Who built the schools in Sichuan?", "How much did the schools cost to build?"],
    ),
    F(
        "twitter_switch",
        "thing",
        r"switched to twitter",
        [
            "What did Ai switch to after his blog was shut down?",
            "How did Ai get around the Great Firewall?",
            "Which platform did Ai use to bypass the Great Firewall?",
        ],
        [
            "What is the size of Ai's Twitter following?",
            "When did Ai join Twitter?",
            "What is Ai's Twitter handle?",
            "When was the Great Firewall built?",
        ],
    ),
    F(
        "twitter_hours",
        "count",
        r"eight hours a day",
        [
            "How many hours does Ai spend tweeting each day?",
            "How much time does Ai spend on Twitter each day?",
            "How often does Ai post online?",
        ],
        [
            "How many tweets does Ai post a day?",
            "How many hours a day does Ai sleep?",
            "How many hours a day does Ai spend painting?",
            "How big is Ai's online audience?",
        ],
        maybe=r"tweeting and blogging constantly|wrote online articles daily",
    ),
    F(
        "liverpool",
        "thing",
        r"liverpool biennial",
        [
            "What was Ai's Liverpool Biennial commission called?",
            "Where was Web of Light shown?",
            "In what year was Web of Light shown in Liverpool?",
            "What work did Ai make for the Liverpool Biennial?",
        ],
        [
            "Who curated the Liverpool Biennial?",
            "How long was Web of Light on show?",
            "What did Ai show at the Venice Biennale?",
            "How many visitors saw Web of Light?",
        ],
    ),
    F(
        "so_sorry",
        "thing",
        r"exhibition so sorry",
        [
            "Where was the exhibition So Sorry shown?",
            "In what year did Ai show So Sorry?",
            "How many school bags made up the Munich piece?",
            "In which language was the text of the backpack work?",
            "What did the backpack installation quote?",
            "What was Ai's 2009 exhibition in Munich called?",
        ],
        [
            "Who curated So Sorry?",
            "How long did So Sorry run?",
            "What was the name of the victim's mother?",
            "How many backpacks were red?",
            "How many people visited So Sorry?",
            "What was shown at the Tate Modern in 2009?",
            "Where was So Sorry shown in 2012?",
        ],
    ),
    F(
        "collector",
        "thing",
        r"collector of chinese antiquities|neolithic urns",
        [
            "What kind of objects does Ai collect?",
            "What prehistoric pottery did Ai smash?",
            "Which sort of ancient vessels did he break?",
        ],
        [
            "How many urns did Ai smash?",
            "Where did Ai buy the urns?",
            "How much were the urns worth?",
            "When did the Cultural Revolution end?",
            "Who made the urns?",
        ],
    ),
    F(
        "father",
        "person",
        r"son of dissident poet ai qing",
        [
            "Whose son is Ai Weiwei?",
            "What was Ai's father's profession?",
            "Who was Ai Qing?",
            "What happened to Ai's father?",
        ],
        [
            "Who is Ai Weiwei's mother?",
            "What is the first name of Ai Weiwei's wife?",
            "When did Ai Qing die?",
            "To which place was Ai Qing banished?",
            "How many years was Ai Qing imprisoned?",
            "Who is Ai Weiwei's son?",
            "How many siblings does Ai Weiwei have?",
        ],
    ),
    F(
        "fearful",
        "reason",
        r"fearful",
        ["Why does Ai act even though he is afraid?", "Is Ai fearless?", "What is Ai afraid of?"],
        ["What is Alison Klayman afraid of?", "Why did Ai leave New York?"],
    ),
    F(
        "twitter_request",
        "thing",
        r"request on twitter",
        [
            "What did Ai ask his Twitter followers to do?",
            "What did Ai request on Twitter after the earthquake?",
        ],
        [
            "How many followers answered Ai's request?",
            "How many emails did Ai receive?",
            "When did Ai delete his Twitter account?",
        ],
    ),
    F(
        "prize",
        "award",
        r"special jury prize",
        [
            "What prize did the film win?",
            "Which festival gave the film an award?",
            "What award did Never Sorry win at Sundance?",
        ],
        [
            "Which Academy Award was the film nominated for?",
            "What prize did the film win at Cannes?",
            "Who was on the Sundance jury?",
            "What prize did Citizenfour win at Sundance?",
            "How much money came with the prize?",
        ],
    ),
    F(
        "prize_year",
        "year",
        r"2012 sundance",
        ["In what year did the film win at Sundance?", "When did Never Sorry win the Special Jury Prize?"],
        ["In what year was the film released in China?", "When did Ai first attend Sundance?"],
    ),
    F(
        "sunflower",
        "thing",
        r"sunflower seeds",
        [
            "What did Ai install at the Tate Modern?",
            "Where were the sunflower seeds installed?",
            "How many sunflower seeds were in the installation?",
            "When were the sunflower seeds shown at Tate Modern?",
            "What was Ai's 2010 installation?",
        ],
        [
            "How much did the sunflower seeds weigh?",
            "Who painted the sunflower seeds?",
            "How many people visited the sunflower seed installation?",
            "What did Ai install at the Guggenheim?",
            "How long was Sunflower Seeds on show?",
            "What did Ai install at the Munich Museum?",
        ],
    ),
    F(
        "hand_painted",
        "thing",
        r"hand-painted",
        ["Were the sunflower seeds hand-painted?", "How was each seed made?"],
        ["Who painted the seeds?", "How many workers painted the seeds?"],
    ),
    F(
        "studio",
        "thing",
        r"studio was demolished|bulldozing of the artist",
        [
            "What became of Ai's studio?",
            "Which of Ai's studios was demolished?",
            "Was Ai's studio destroyed?",
        ],
        ["Who designed Ai's studio?", "How much did Ai's studio cost?", "When was Ai's studio rebuilt?"],
    ),
    F(
        "detention",
        "count",
        r"detained (?:without trial )?for 81 days|almost 3 months",
        [
            "How long was Ai detained?",
            "For how many days was Ai held?",
            "How long was Ai held by the authorities?",
        ],
        [
            "Where was Ai detained?",
            "How long was Ai Qing imprisoned?",
            "How long was Ai in hospital?",
            "How many years in prison was Ai sentenced to?",
            "Who was detained with Ai?",
        ],
    ),
    F(
        "detention_year",
        "year",
        r"2011",
        ["In what year was Ai detained?", "When did Ai disappear?", "What happened to Ai in 2011?"],
        ["When was Ai released from detention?", "What is Ai's year of birth?"],
    ),
    F(
        "charge",
        "reason",
        r"financial irregularities|tax evasion|owing \$2\.4 million",
        ["What was Ai accused of?", "Why was Ai detained?", "What was Ai charged with?"],
        ["What was Ai's sentence?", "Who was Ai's lawyer?", "Which court tried Ai?"],
    ),
    F(
        "tax_amount",
        "count",
        r"\$2\.4 million",
        [
            "How much did Ai owe in taxes?",
            "What tax bill was Ai charged with?",
            "How did ordinary citizens help Ai with his tax bill?",
        ],
        [
            "How much money did citizens send Ai?",
            "How much does Ai earn a year?",
            "How much did the sunflower seeds cost?",
            "How many people sent Ai money?",
        ],
    ),
    F(
        "new_york",
        "place",
        r"new york for 10 years",
        [
            "For how many years was Ai based in New York?",
            "When did Ai move to New York?",
            "Where did Ai live in the 1980s?",
            "Which city did Ai live in from 1983?",
        ],
        [
            "Why did Ai move to New York?",
            "Where did Ai study in New York?",
            "How long did Ai live in Berlin?",
            "Who did Ai live with in New York?",
        ],
    ),
    F(
        "soup",
        "thing",
        r"bowl of soup",
        [
            "What food did Ai have while police filmed him?",
            "What did Ai's videographer do when the police filmed Ai?",
        ],
        ["What is Ai's videographer called?", "Where was Ai eating the soup?", "What kind of soup was it?"],
    ),
    F(
        "hotel",
        "place",
        r"hotel room",
        [
            "Where was Ai attacked by the police?",
            "Who attacked Ai in his hotel room?",
            "What happened to Ai in the hotel?",
        ],
        [
            "What was the hotel called?",
            "In which city was the hotel?",
            "On what date did the police attack Ai?",
            "How many police officers attacked Ai?",
        ],
    ),
    F(
        "operation",
        "reason",
        r"operation as a result",
        ["What made surgery necessary for Ai?", "What injury did Ai suffer?", "Why was Ai hospitalized?"],
        [
            "Which hospital treated Ai?",
            "Who performed the operation?",
            "How long did Ai stay in hospital?",
            "What was the name of Ai's doctor?",
        ],
    ),
    F(
        "complaint",
        "thing",
        r"official complaint",
        ["What did Ai do after the assault?", "Did Ai file a complaint?"],
        ["What happened to Ai's complaint?", "Who was punished for the assault?"],
    ),
    F(
        "interview_quote",
        "quote",
        r"cannot give any interview",
        ["What did Ai tell reporters after his release?", "What was Ai's statement upon release?"],
        ["What did Ai say at his trial?", "What did Ai tell the police when he was arrested?"],
    ),
    F(
        "interviews",
        "person",
        r"interviews with ai.s wife",
        ["Which people did Klayman talk to on camera?", "Whose interviews does the film draw on?"],
        [
            "What is the first name of Ai's wife?",
            "How many people were interviewed?",
            "Who interviewed Alison Klayman?",
        ],
    ),
    F(
        "surveillance",
        "thing",
        r"surveillance cameras",
        [
            "What signs of state surveillance does Klayman capture?",
            "What did the film show around Ai's studio?",
        ],
        ["How many surveillance cameras were there?", "Who installed the surveillance cameras?"],
    ),
    F(
        "debut",
        "thing",
        r"debut feature",
        ["Is Never Sorry Klayman's first feature?", "What was Alison Klayman's debut feature documentary?"],
        ["What was Alison Klayman's second film?", "What was Ai Weiwei's debut film?"],
    ),
    F(
        "support",
        "thing",
        r"sent in money",
        ["How did ordinary citizens support Ai?", "How did people help Ai pay his tax debt?"],
        ["How much money did citizens send?", "Who organised the donations?"],
    ),
    F(
        "optimist",
        "description",
        r"eternal optimist",
        [
            "Is Weiwei described as an optimist or a pessimist?",
            "How does the review describe Weiwei's outlook?",
        ],
        ["Is Alison Klayman an optimist?"],
    ),
    F(
        "mandarin",
        "thing",
        r"in mandarin",
        ["What language was the So Sorry installation in?", "Whom did the backpack installation quote?"],
        ["What language did Ai speak in New York?", "Who translated the installation into English?"],
    ),
    F(
        "return_beijing",
        "place",
        r"returned to beijing",
        [
            "What did Ai find when he returned to Beijing?",
            "What was the Beijing art scene like when Ai came back?",
        ],
        ["When did Ai return to Beijing?", "Why did Ai return to Beijing?"],
    ),
)

# Whole-word swaps that change what a question asks (role verbs and attributes).
ROLE_SWAPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bdirected\b", ("edited", "financed", "shot", "narrated", "wrote the soundtrack for", "scored")),
    (r"\bdirector\b", ("producer", "editor", "camera operator", "composer", "narrator")),
    (r"\bwrote\b", ("edited", "financed", "translated")),
    (r"\bborn\b", ("buried",)),
    (r"\bdied\b", ("were born", "were injured")),
    (r"\bdetained\b", ("married", "hospitalized")),
    (r"\bdenounce\b", ("attend", "sponsor")),
    (r"\bfather\b", ("mother", "brother", "wife")),
    (r"\bHow many\b", ("What percentage of",)),
    (r"\bIn what year\b", ("In which month", "On what day of the week")),
)

# Ai named in a question (not Ai Qing, not the film title "Ai Weiwei: Never Sorry").
AI_NAME_RE = r"\bAi Weiwei\b(?!:)|(?<!Ai )\bWeiwei\b(?!:)|\bAi\b(?! Qing| Weiwei)"

# Names of films, people, places and years that the reviews do not connect to the answer.
ENTITY_SWAPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        r"Ai Weiwei: Never Sorry|Never Sorry|the (?:film|documentary)\b",
        ("Ai Weiwei: The Fake Case", "Citizenfour", "Exit Through the Gift Shop", "Ai Weiwei's Appearance"),
    ),
    (
        r"\bAi Weiwei\b|\bWeiwei\b|\bAi\b(?! Qing)",
        ("Liu Xiaobo", "Zhang Yimou", "Ai Qing", "Andreas Johnsen"),
    ),
    (r"\bAlison Klayman\b|\bKlayman\b", ("Laura Poitras", "Andreas Johnsen")),
    (r"\bTate Modern\b", ("the Guggenheim", "MoMA")),
    (r"\bMunich\b", ("Berlin", "Venice")),
    (r"\bSundance\b", ("Cannes", "the Berlinale", "Toronto")),
    (r"\bSichuan\b", ("Haiti", "Tohoku")),
    (r"\bNew York\b", ("Paris", "Berlin")),
    (r"\bLiverpool\b", ("Manchester",)),
    (r"\b(?:19|20)\d\d\b", ("1997", "2005", "2014")),
)

# Ways the reviews name Ai: positive questions are repeated with each, so the name is not the cue.
AI_NAMES = ("Ai Weiwei", "Ai", "Weiwei")

STOPWORDS = frozenset(
    """a an the and or of to in on at for by with from as is was were be been are did do does what who
    whom whose which when where why how many much his her he she it its this that these those their they
    them i you we after before about into than then there not no any ever film documentary review reviews
    ai weiwei""".split()
)


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1}


def load_sentences(corpus_dir: Path = CORPUS_DIR) -> list[Sentence]:
    """Every sentence of every review, with its paragraph number; texts exactly as in the review."""
    out: list[Sentence] = []
    for review in load_reviews(corpus_dir):
        for i, span in enumerate(split_sentences(review.text)):
            paragraph = len(re.findall(r"\n\s*\n", review.text[: span.start]))
            out.append(Sentence(review.id, i, paragraph, review.text[span.start : span.end]))
    return out


def load_train_questions(path: Path = TRAIN_QUESTIONS) -> list[dict[str, object]]:
    if path.name != TRAIN_QUESTIONS.name:
        raise ValueError("reader data is made from the training questions only")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_questions(corpus_dir: Path = CORPUS_DIR, questions_path: Path = TRAIN_QUESTIONS) -> list[str]:
    """Every question `make_pairs` asks on its own (no history): training rows and rule-made ones."""
    out = [str(r["question"]) for r in load_train_questions(questions_path) if not r.get("history")]
    for fact in FACTS:
        out += list(fact.questions) + list(fact.near)
    return list(dict.fromkeys(out))


def acceptable_paraphrase(question: str, paraphrase: str) -> bool:
    """Keep an LLM paraphrase only when it is one question, not the original, and not a near copy of it.

    >>> acceptable_paraphrase("Who directed the film?", "Who was behind the camera for the movie?")
    True
    >>> acceptable_paraphrase("Who directed the film?", "Who directed the film?")
    False
    >>> acceptable_paraphrase("Who directed the film?", "Alison Klayman directed it.")
    False
    """
    text = paraphrase.strip()
    n = len(text.split())
    if not text.endswith("?") or text.count("?") > 1 or not 3 <= n <= 40:
        return False
    a, b = _question_words(question), _question_words(text)
    return len(a & b) / max(len(a | b), 1) < 0.9


def load_paraphrases(path: Path | None = PARAPHRASES) -> dict[str, tuple[str, ...]]:
    """Question -> its kept paraphrases; empty when the file is absent (a corpus of one's own)."""
    if path is None or not path.exists():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[str(row["question"])] = tuple(str(p) for p in row["paraphrases"])
    return out


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def evidence_sentences(
    row: dict[str, object], sentences: Sequence[Sentence], narrow: bool = True
) -> list[Sentence]:
    """The sentences holding (or overlapping) a question's evidence quotes; with `narrow`, a quote over
    several sentences keeps only those holding an answer string (when any does)."""
    found: list[Sentence] = []
    answers = [_norm(str(a)) for a in row.get("answers") or []]  # type: ignore[attr-defined]
    for ev in row.get("evidence") or []:  # type: ignore[attr-defined]
        quote = _norm(ev["quote"])
        same = [s for s in sentences if s.review_id == ev["review_id"]]
        hits = [s for s in same if quote in _norm(s.text) or _norm(s.text) in quote]
        if not hits:  # a quote spanning sentences: any sentence sharing a long piece of it
            hits = [s for s in same if any(part and part in _norm(s.text) for part in _pieces(quote))]
        if narrow and len(hits) > 1 and answers:
            with_answer = [s for s in hits if any(a and a in _norm(s.text) for a in answers)]
            hits = with_answer or hits
        found.extend(h for h in hits if h not in found)
    return found


def _pieces(quote: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", quote)
    return [p for p in parts if len(p) > 25]


def _name_variants(question: str, rng: random.Random) -> list[str]:
    """The question with Ai named each other way (or one casing variant), plus the original."""
    out = [question]
    m = re.search(AI_NAME_RE, question)
    if m:
        out += [question[: m.start()] + n + question[m.end() :] for n in AI_NAMES if n != m.group()]
    elif question.lower().startswith(("who ", "what ", "how ", "when ", "where ", "why ", "which ")):
        out.append(rng.choice([question.lower(), question.rstrip("?")]))
    return out


def _swaps(
    question: str, table: Sequence[tuple[str, tuple[str, ...]]], rng: random.Random, k: int
) -> list[str]:
    out: list[str] = []
    for pattern, replacements in table:
        m = re.search(pattern, question)
        if m:
            for rep in rng.sample(list(replacements), min(k, len(replacements))):
                if rep.lower() != m.group().lower() and rep.lower() not in question.lower():
                    out.append(question[: m.start()] + rep + question[m.end() :])
    return out


def make_pairs(
    seed: int = 13,
    review_ids: Sequence[str] | None = None,
    corpus_dir: Path = CORPUS_DIR,
    questions_path: Path = TRAIN_QUESTIONS,
    paraphrases_path: Path | None = PARAPHRASES,
) -> list[Pair]:
    """All pairs, deduplicated and shuffled with `seed`. `review_ids` keeps only those reviews' sentences.

    With `paraphrases_path`, each question's paraphrases are added with its label: against its positive
    sentences, its paragraph neighbours and the sentences sharing most words with the paraphrase.
    """
    rng = random.Random(seed)
    paraphrases = load_paraphrases(paraphrases_path)
    sentences = load_sentences(corpus_dir)
    if review_ids is not None:
        sentences = [s for s in sentences if s.review_id in set(review_ids)]
    rows = load_train_questions(questions_path)
    pairs: list[Pair] = []

    def add(question: str, sentence: Sentence, label: int, source: str) -> None:
        pairs.append(Pair(question, sentence.text, label, source, sentence.review_id))

    # (question, positive sentences, sentences never used as its negatives)
    asked: list[tuple[str, list[Sentence], set[str]]] = []

    for row in rows:
        question = str(row["question"])
        if row["kind"] in ("unanswerable", "off_topic"):
            for s in _top_overlap(question, sentences, set(), 8):
                add(question, s, 0, "unanswerable")
            for s in rng.sample(sentences, min(4, len(sentences))):
                add(question, s, 0, "unanswerable_random")
            for para in paraphrases.get(question, ()):
                for s in _top_overlap(para, sentences, set(), 4):
                    add(para, s, 0, "unanswerable_paraphrase")
            continue
        pos = [s for s in evidence_sentences(row, sentences)]
        if not pos:
            continue
        answers = [_norm(str(a)) for a in row.get("answers") or [] if len(str(a)) >= 4]  # type: ignore[attr-defined]
        keep = {s.text for s in sentences if any(a in _norm(s.text) for a in answers)} | {s.text for s in pos}
        asked.append((question, pos, keep))

    facts_by_kind: dict[str, list[Fact]] = {}
    for fact in FACTS:
        facts_by_kind.setdefault(fact.kind, []).append(fact)
    for fact in FACTS:
        pos = [s for s in sentences if re.search(fact.answer, s.text, re.IGNORECASE)]
        if not pos:
            continue
        keep = {s.text for s in pos}
        if fact.maybe:
            keep |= {s.text for s in sentences if re.search(fact.maybe, s.text, re.IGNORECASE)}
        for q in fact.questions:
            asked.append((q, pos, keep))
        for s in pos:
            for q in fact.near:
                for v in _name_variants(q, rng):
                    add(v, s, 0, "near_miss")
                for para in paraphrases.get(q, ()):
                    add(para, s, 0, "near_miss_paraphrase")
            # the questions of other facts of the same kind, which this sentence does not answer
            for other in facts_by_kind[fact.kind]:
                if other is fact or re.search(other.answer, s.text, re.IGNORECASE):
                    continue
                if other.maybe and re.search(other.maybe, s.text, re.IGNORECASE):
                    continue
                for q in rng.sample(list(other.questions), min(3, len(other.questions))):
                    add(q, s, 0, "cross_fact")

    # generic year rule: "What happened in YEAR?" for years in the sentence, and for years not in it
    years = sorted({y for s in sentences for y in re.findall(r"\b(?:19|20)\d\d\b", s.text)})
    for s in sentences:
        here = set(re.findall(r"\b(?:19|20)\d\d\b", s.text))
        for y in sorted(here):
            add(f"What happened in {y}?", s, 1, "rule_year")
        for y in rng.sample(
            [y for y in years if y not in here], min(2, len([y for y in years if y not in here]))
        ):
            add(f"What happened in {y}?", s, 0, "rule_year_miss")

    for question, pos, keep in asked:
        variants = _name_variants(question, rng)
        for s in pos:
            for v in variants:
                add(v, s, 1, "positive")
            for v in _swaps(question, ROLE_SWAPS, rng, 2):
                add(v, s, 0, "swap_role")
            for v in _swaps(question, ENTITY_SWAPS, rng, 2):
                add(v, s, 0, "swap_entity")
        pos_texts = {s.text for s in pos}
        neighbours = [
            s
            for s in sentences
            if s.text not in keep
            and any(p.review_id == s.review_id and p.paragraph == s.paragraph for p in pos)
            and any(p.review_id == s.review_id and abs(p.index - s.index) <= 4 for p in pos)
        ]
        for s in neighbours:
            add(question, s, 0, "paragraph")
        for s in _top_overlap(question, sentences, keep | pos_texts, 6):
            add(question, s, 0, "lexical")
        others = [s for s in sentences if s.text not in keep]
        for s in rng.sample(others, min(4, len(others))):
            add(question, s, 0, "random")
        for para in paraphrases.get(question, ()):
            for s in pos:
                add(para, s, 1, "paraphrase")
            for s in neighbours:
                add(para, s, 0, "paraphrase_paragraph")
            for s in _top_overlap(para, sentences, keep | pos_texts, 4):
                add(para, s, 0, "paraphrase_lexical")

    unique: dict[tuple[str, str], Pair] = {}
    for p in pairs:
        key = (p.question, p.sentence)
        if key in unique and unique[key].label != p.label:
            # a question positive for a sentence stays positive; a clash is a rule error, keep the positive
            if p.label == 1:
                unique[key] = p
            continue
        unique.setdefault(key, p)
    out, _dropped = drop_near_copies(
        sorted(unique.values(), key=lambda p: (p.question, p.sentence)),
        heldout_questions(corpus_dir.parent if corpus_dir.name == "corpus" else Path(".")),
    )
    rng.shuffle(out)
    return out


def _question_words(question: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", question.lower()))


def heldout_questions(root: Path = Path(".")) -> list[str]:
    """The dev, dev2, test and blind questions (their follow-ups and history questions too)."""
    out: list[str] = []
    for path in HELDOUT_QUESTIONS:
        for line in (root / path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(str(row["question"]))
                out += [str(turn[0]) for turn in row.get("history") or []]
    return out


def drop_near_copies(pairs: Sequence[Pair], heldout: Iterable[str]) -> tuple[list[Pair], int]:
    """Drop pairs whose question shares NEAR_COPY or more of its words with a held-out question.

    The rule-made questions were written by people who had seen the dev set; this keeps any that came
    out close to a dev, test or blind question out of training. Returns (kept pairs, questions dropped).
    """
    held = [_question_words(q) for q in heldout]
    bad: set[str] = set()
    for question in {p.question for p in pairs}:
        w = _question_words(question)
        if any(len(w & h) / max(len(w | h), 1) >= NEAR_COPY for h in held):
            bad.add(question)
    return [p for p in pairs if p.question not in bad], len(bad)


def _top_overlap(question: str, sentences: Sequence[Sentence], exclude: set[str], k: int) -> list[Sentence]:
    qw = words(question)
    scored = [(len(qw & words(s.text)), -i, s) for i, s in enumerate(sentences) if s.text not in exclude]
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [s for n, _, s in scored[:k] if n > 0]


def data_sha256(pairs: Sequence[Pair]) -> str:
    payload = json.dumps([asdict(p) for p in pairs], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def counts(pairs: Sequence[Pair]) -> dict[str, int]:
    c: Counter[str] = Counter()
    for p in pairs:
        c[f"label_{p.label}"] += 1
        c[f"source_{p.source}"] += 1
    c["total"] = len(pairs)
    return dict(sorted(c.items()))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    pairs = make_pairs(args.seed)
    for k, v in counts(pairs).items():
        print(f"{k:28s} {v}")
    print("sha256", data_sha256(pairs))
    if args.out:
        args.out.write_text(
            "".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
