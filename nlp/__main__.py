"""python -m nlp {train,classify,evaluate}: rebuild the model, classify stdin, score a TSV."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from nlp.corpus import TRAIN
from nlp.model import DEFAULT_MODEL
from nlp.schema import Courtyard

DEFAULT_ORG = Path(__file__).resolve().parent.parent / "config" / "org.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    from nlp.corpus import CorpusError
    from nlp.tokenizer import UserDictError

    args = _parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (CorpusError, UserDictError, OSError, ValueError) as exc:
        print(f"python -m nlp {args.command}: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nlp", description=__doc__)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{train,classify,evaluate}"
    )

    train = commands.add_parser("train", help="rebuild the shipped model from the corpus")
    train.add_argument("--corpus", type=Path, default=TRAIN, help="label<TAB>message TSV")
    train.add_argument("--out", type=Path, default=DEFAULT_MODEL, help="model file to write")
    train.add_argument(
        "--compare",
        action="store_true",
        help="cross-validate the candidate models first and print the table",
    )
    train.set_defaults(run=_train)

    classify = commands.add_parser("classify", help="one message per stdin line -> JSON lines")
    _add_analyzer_options(classify)
    classify.set_defaults(run=_classify)

    evaluate = commands.add_parser("evaluate", help="scores on a label<TAB>message TSV")
    evaluate.add_argument("file", type=Path)
    _add_analyzer_options(evaluate)
    evaluate.add_argument("--errors", action="store_true", help="also list the misclassified")
    evaluate.set_defaults(run=_evaluate)
    return parser


def _add_analyzer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    parser.add_argument("--userdict", type=Path, default=None, help="jieba user dictionary")
    parser.add_argument(
        "--org",
        type=Path,
        default=Path(os.environ.get("GRIDBOT_ORG", DEFAULT_ORG)),
        help="org.yaml whose courtyard names and aliases to recognise ('' for none; "
        "default $GRIDBOT_ORG or config/org.yaml)",
    )


def _train(args: argparse.Namespace) -> int:
    from nlp.train import compare, train  # scikit-learn: only for this command

    if args.compare:
        compare(args.corpus)
        print()
    train(args.corpus, args.out)
    return 0


def _analyzer(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from nlp.analyzer import Analyzer

    return Analyzer.load(_courtyards(args.org), args.model, args.userdict)


def _classify(args: argparse.Namespace) -> int:
    analyzer = _analyzer(args)
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        result = analyzer.analyze(text).as_dict()
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()  # a caller may be waiting for this line before sending the next
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from nlp.corpus import read_tsv
    from nlp.evaluate import evaluate

    examples = read_tsv(args.file)  # a bad file is reported before the model loads
    print(evaluate(_analyzer(args), args.file, examples, errors=args.errors))
    return 0


def _courtyards(path: Path) -> list[Courtyard]:
    """Every courtyard in an org.yaml, wherever the tree nests it: a `courtyards` list of
    mappings with code, name and aliases. Only this CLI reads YAML; the library takes data."""
    if not str(path) or str(path) == "." or not path.is_file():
        return []
    import yaml

    found: list[Courtyard] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "courtyards" and isinstance(value, list):
                    for item in value:
                        if isinstance(item, dict) and "code" in item and "name" in item:
                            aliases = tuple(str(a) for a in item.get("aliases") or ())
                            found.append(Courtyard(str(item["code"]), str(item["name"]), aliases))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


if __name__ == "__main__":
    sys.exit(main())
