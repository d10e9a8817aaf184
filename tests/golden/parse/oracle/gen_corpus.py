"""Make the oracle corpus: random tricky Dockerfiles and words, answered by the official parser.

Usage: python gen_corpus.py ORACLE_BINARY OUT_DIR   (see README.md beside the corpus)
"""

import json
import os
import random
import subprocess
import sys
import tempfile

KW = [
    "RUN",
    "run",
    "COPY",
    "ADD",
    "ENV",
    "LABEL",
    "ARG",
    "FROM",
    "ONBUILD",
    "HEALTHCHECK",
    "CMD",
    "EXPOSE",
    "VOLUME",
    "USER",
    "WORKDIR",
    "SHELL",
    "ENTRYPOINT",
    "MAINTAINER",
    "STOPSIGNAL",
    "FOO",
    "onbuild RUN",
    "ONBUILD COPY",
    "Healthcheck CMD",
    "FROM",
]
TOK = [
    "a",
    "b=c",
    "k=v",
    "x",
    "'q s'",
    '"d q"',
    "\\",
    "\\\\",
    "`",
    "``",
    "#",
    "# c",
    "$X",
    "${X:-y}",
    "=",
    "==",
    "[",
    "]",
    '["a", "b"]',
    '[ "x" ]',
    "[1]",
    '["a", ["b"]]',
    "[]",
    '["a" "b"]',
    "['a']",
    '["\\u00e9"]',
    '["a\\nb"]',
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    '<<"E F"',
    "3<<X",
    "<< EOF",
    "<<EO'F'",
    "<<$V",
    "<<",
    "<<<A",
    "'<<EOF'",
    "--from=b",
    "--mount=type=cache,target=/x",
    '--x="a b"',
    "--",
    "--flag",
    "-x",
    "--a\\ b",
    "--'q'",
    "é",
    "à",
    "\u00a0",
    "\u0085",
    "\t",
    " ",
    "  ",
    "\r",
    "\\ ",
    '"',
    "'",
    '\\"',
    "a\\",
    "AS",
    "as",
    "name",
    "--platform=linux/amd64",
    "\x7f",
    "\u200b",
    "😀",
    "\\t",
    "\\n",
    "%",
    "{",
    "}",
    "${",
    "$(",
    "\\$x",
    "$",
    "\\'",
]
LINE_END = [
    "\n",
    "\n",
    "\n",
    "\n",
    " \\\n",
    "\\\n",
    " \\ \t\n",
    "\\\\\n",
    " \\\\\\\n",
    "`\n",
    " ` \n",
    "\r\n",
    "\r\n",
    " \\\r\n",
    "",
]
EXTRA = [
    "\n",
    "# comment\n",
    "  # indented\n",
    "   \n",
    "\t\n",
    "# escape=`\n",
    "# syntax=x\n",
    "\\\n",
    "EOF\n",
    "X\n",
    "\tEOF\n",
    "E F\n",
    "$V\n",
    "#\n",
    "EO'F\n",
    "EOF\r\n",
    "body $X\n",
    "\tbody\n",
]
HEREDOC = [
    ("RUN <<EOF", "EOF"),
    ("RUN <<-EOF", "\tEOF"),
    ("COPY <<'A' /a", "A"),
    ('ADD 3<<"B" /b', "B"),
    ("RUN <<EOF sh", "EOF"),
    ("ONBUILD RUN <<X", "X"),
    ("RUN --mount=type=cache,target=/c <<E", "E"),
    ("COPY <<A <<B /d", "A\nb\nB"),
    ('RUN ["<<EOF"]', "EOF"),
    ("RUN cat <<EOF\\", "EOF"),
]
DIRECTIVES = [
    "# escape=`\n",
    "# escape=\\\n",
    "# syntax=docker/dockerfile:1\n",
    "#check=error=true\n",
    "# escape = ` \n",
    "# foo=bar\n",
    "# escape=`\n# escape=\\\n",
]


def gen_file(rng):
    out = []
    if rng.random() < 0.1:
        out.append("\ufeff")
    for _ in range(rng.randint(0, 2)):
        if rng.random() < 0.5:
            out.append(rng.choice(DIRECTIVES))
    for _ in range(rng.randint(1, 8)):
        r = rng.random()
        if r < 0.25:
            out.append(rng.choice(EXTRA))
            continue
        if r < 0.4:
            head, term = rng.choice(HEREDOC)
            body = "".join(
                rng.choice(["line $X\n", "\tt\n", "# c\n", "\n", "x \\\n"])
                for _ in range(rng.randint(0, 3))
            )
            out.append(
                head
                + rng.choice(["\n", "\r\n"])
                + body
                + (term + "\n" if rng.random() < 0.9 else "")
            )
            continue
        parts = [rng.choice(KW)] + [rng.choice(TOK) for _ in range(rng.randint(0, 6))]
        seps = [rng.choice([" ", " ", "  ", "\t", ""]) for _ in parts]
        line = "".join(p + s for p, s in zip(parts, seps, strict=False))
        if rng.random() < 0.2:
            line = rng.choice(["", " ", "\t"]) + line
        out.append(line + rng.choice(LINE_END))
    return "".join(out)


WTOK = [
    "a",
    " ",
    "  ",
    "\t",
    "'",
    '"',
    "\\",
    "`",
    "$",
    "${",
    "}",
    "{",
    ":",
    "-",
    "+",
    "?",
    "#",
    "%",
    "/",
    "*",
    "X",
    "E",
    "${X}",
    "${E:-d}",
    "${X:+w}",
    "${N?}",
    "${X#a*}",
    "${X##*a}",
    "${X%a}",
    "${X%%a*}",
    "${X/a/b}",
    "${X//a/$}",
    "$1",
    "$@",
    "$$",
    "$(",
    "<<",
    "é",
    "\\$X",
    '"$X"',
    "'$X'",
    '\\"',
    "\\\\",
    "${X:=a}",
    "${:}",
    "${X#\\*}",
    "${X%\\}}",
    "${X/\\//_}",
    "a b",
    "${E-${X}}",
    "${X:?msg}",
]


HD_WORDS = [
    "<<EOF",
    '<<"E\\"F"',
    "<<E\\ F",
    "<<'a'b\"c\"",
    "<<${X:-y}",
    "<<$X",
    "<<\\EOF",
    '<<-"EOF"',
    "<<E`F",
    "0<<A",
    "12<<-B",
    "<<EOF>x",
    "<<EOF|y",
    "2<<'A B'",
    "<<é",
    "<<'É'",
    '<<""',
    "<<''",
    "<<-",
    "<<'",
    "<<A<<B",
    "x<<A",
    '"<<A"',
    "<<A;",
    "<<${X}",
    "<<${X:-'q'}",
    "<<a\\'b",
]
HD_TERMS = [
    "EOF",
    'E"F',
    "E F",
    "abc",
    "${X:-y}",
    "$X",
    "\\EOF",
    "\tEOF",
    "E`F",
    "A",
    "\tB",
    "B",
    "EOF>x",
    "A B",
    "é",
    "É",
    "",
    "'",
    "${X}",
    "a'b",
    "y",
    "A;",
    "EOF|y",
    "body",
    "\tbody $X",
]


HD_PAIRS = [
    ("<<EOF", "EOF"),
    ('<<"E\\"F"', 'E"F'),
    ("<<E\\ F", "E F"),
    ("<<'a'b\"c\"", "abc"),
    ("<<${X:-y}", "${X:-y}"),
    ("<<$X", "$X"),
    ("<<\\EOF", "EOF"),
    ('<<-"EOF"', "\tEOF"),
    ("<<E`F", "E`F"),
    ("0<<A", "A"),
    ("12<<-B", "\t\tB"),
    ("<<EOF>x", "EOF>x"),
    ("2<<'A B'", "A B"),
    ("<<é", "é"),
    ("<<A;", "A;"),
    ("<<${X:-'q'}", "${X:-q}"),
    ("<<a\\'b", "a'b"),
    ('"<<A"', "A"),
    ("x<<A", "A"),
]


def gen_heredoc_file(rng):
    out = []
    if rng.random() < 0.3:
        out.append("# escape=`\n")
    for _ in range(rng.randint(1, 4)):
        kw = rng.choice(
            [
                "RUN",
                "COPY",
                "ADD",
                "ONBUILD RUN",
                "ONBUILD ADD",
                "RUN --mount=x",
                "run",
                "CMD",
                'RUN ["a"]',
            ]
        )
        if rng.random() < 0.5:
            words = [rng.choice(HD_WORDS) for _ in range(rng.randint(1, 3))]
            terms = [rng.choice(HD_TERMS) for _ in range(rng.randint(0, 4))]
        else:
            pairs = [rng.choice(HD_PAIRS) for _ in range(rng.randint(1, 2))]
            words = [w for w, _ in pairs]
            terms = []
            for _, term in pairs:
                terms += [rng.choice(HD_TERMS) for _ in range(rng.randint(0, 2))]
                terms.append(term if rng.random() < 0.9 else rng.choice(HD_TERMS))
        out.append(
            kw
            + " "
            + " ".join(words)
            + rng.choice(["", " /d", " \\", " `"])
            + rng.choice(["\n", "\r\n"])
        )
        out += [t + rng.choice(["\n", "\r\n", "\n"]) for t in terms]
    return "".join(out)


JSONS = [
    '["a"]',
    '[ "a" , "b" ]',
    '["\\u00e9\\ud83d\\ude00"]',
    '["\\ud800"]',
    '["a",]',
    "[1.5e999]",
    "[true]",
    "[null]",
    "[]",
    "[ ]",
    '["a"]x',
    '["a"] ',
    '["a"]\t',
    '[\n"a"]',
    '["a\\tb"]',
    '["\\x41"]',
    '["a"\u00a0]',
    '[\u00a0"a"]',
    '["a" , 1]',
    '[{"a":1}]',
    '["a", ["b"]]',
    '["\'"]',
    '["\\\\"]',
    '["\\/"]',
    "[NaN]",
    "[-0]",
    "[Infinity]",
    '["a" "b"]',
    "[,]",
    '["é"]',
    '["a\x01"]',
    '["\x7f"]',
]
FLAGS = [
    "--a=é",
    "--b=à",
    "--c='x y'",
    '--d="q\\"r"',
    "--e=\\ x",
    "--f",
    "--",
    "--=",
    "---g",
    "--h=\u0085x",
    "--i=\u00a0",
    "--j=`x",
    "--k=a\\",
    '--l="unterminated',
]


def gen_json_file(rng):
    out = []
    if rng.random() < 0.3:
        out.append("# escape=`\n")
    for _ in range(rng.randint(1, 6)):
        kw = rng.choice(
            [
                "RUN",
                "CMD",
                "ENTRYPOINT",
                "SHELL",
                "COPY",
                "ADD",
                "VOLUME",
                "HEALTHCHECK CMD",
                "HEALTHCHECK",
                "ONBUILD RUN",
                "ONBUILD",
                "FROM",
                "ENV",
                "LABEL",
                "ARG",
            ]
        )
        flags = " ".join(rng.choice(FLAGS) for _ in range(rng.randint(0, 3)))
        body = (
            rng.choice(JSONS)
            if rng.random() < 0.7
            else rng.choice(["a b", "k=v", "'a b'", "x\\ y"])
        )
        parts = [kw, flags, body] if rng.random() < 0.5 else [kw, body, flags]
        out.append(
            rng.choice([" ", "\t", "  "]).join(p for p in parts if p)
            + rng.choice(["\n", "\r\n", " \\\n", "\n"])
        )
    return "".join(out)


def main():
    oracle, out_dir = sys.argv[1], sys.argv[2]
    rng = random.Random(20261127)
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "Dockerfile")
    with open(os.path.join(out_dir, "oracle-dockerfiles.jsonl"), "w", encoding="utf-8") as fh:
        generators = [gen_file] * 600 + [gen_heredoc_file] * 200 + [gen_json_file] * 200
        for generate in generators:
            text = generate(rng)
            with open(path, "w", encoding="utf-8", newline="") as df:
                df.write(text)
            res = subprocess.run([oracle, path], capture_output=True, check=True).stdout.decode()
            if res.startswith("ERR"):
                case = {"text": text, "error": True}
            else:
                dump, _, info = res.rpartition("INFO ")
                nodes = json.loads(info)
                case = {
                    "text": text,
                    "error": False,
                    "dump": dump,
                    "spans": [[n["Start"], n["End"]] for n in nodes],
                    "heredocs": [
                        [
                            [h["Name"], h["Fd"], h["Expand"], h["Chomp"], h["Content"]]
                            for h in n["Heredocs"] or []
                        ]
                        for n in nodes
                    ],
                }
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "oracle-words.jsonl"), "w", encoding="utf-8") as fh:
        for _ in range(600):
            word = "".join(rng.choice(WTOK) for _ in range(rng.randint(1, 6)))
            env = {"X": rng.choice(["aXa", "a b a", "", "a*b/a}", "#a%"]), "E": ""}
            if rng.random() < 0.3:
                del env["X"]
            escape = rng.choice(["\\", "\\", "`"])
            case = {"source": word, "escape": escape, "env": env}
            for mode in ("word", "words"):
                args = [oracle, "words", escape, mode, word] + [x for kv in env.items() for x in kv]
                res = subprocess.run(args, capture_output=True, check=True).stdout.decode()
                case["expand_" + mode] = (
                    None
                    if res.startswith("ERR")
                    else (json.loads(res) if mode == "word" else json.loads(res) or [])
                )
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")


main()
