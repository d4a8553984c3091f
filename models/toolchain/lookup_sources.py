"""Writes the file list for the demo's lookup corpus (bin/specserve lookup-corpus @LIST): the training files of both
domains the target was trained on, the same number from each so snippets split evenly between Python and Java.
Domain B's files are extracted from the JDK's src.zip into OUT_DIR. Validation files are never listed.

Usage: /usr/bin/python3 lookup_sources.py OUT_DIR   (prints the list's path)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402


def main(out_dir):
    out_dir = os.path.abspath(out_dir)  # the list is read by bin/specserve, from another directory
    os.makedirs(out_dir, exist_ok=True)
    a = [os.path.join(corpus.PY_ROOT, p) for p, _ in corpus.python_stdlib_files() if not corpus.is_validation(p)]
    b_all = [(p, t) for p, t in corpus.java_base_files() if not corpus.is_validation(p)]
    step = len(b_all) / len(a)
    b = []
    for i in range(len(a)):  # evenly spaced over the sorted java.base files
        p, text = b_all[int(i * step)]
        dest = os.path.join(out_dir, "java", p)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8") as f:
            f.write(text)
        b.append(dest)
    listing = os.path.join(out_dir, "files.txt")
    with open(listing, "w", encoding="utf-8") as f:
        f.write("\n".join(a + b) + "\n")
    print(listing)


if __name__ == "__main__":
    main(sys.argv[1])
