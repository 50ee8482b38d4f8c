"""Does an acknowledged WAL record survive the failed fsync of the next group? ext4 on a loop
device over a small tmpfs: group commits (1–6 records of 200–1,500 bytes) until an fsync fails
(the tmpfs behind the device is full), then unmount, give the tmpfs room again (a journal aborted by
the full device needs writes to recover), mount read-only and replay a copy of the log.
Needs root (mount, losetup); everything is created under --work and removed again.

    sudo python -m benchmarks.wal_full_disk [--baseline FILE ...] [--runs 5] [--block-size 4096]

`--baseline FILE` (repeatable): an older wal.py (`git show e1c1905:content_node/store/wal.py >
/tmp/wal2.py`: format 2; `git show 41e86d7:content_node/store/wal.py > /tmp/wal3.py`: format 3, not
preallocated), run with the same seeds. Prints one line a run (and whether it ended in a failed
group fsync or a failed append, such as a segment that could not be created) and a markdown summary."""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

from benchmarks.wal_groups import load_baseline
from content_node.store import wal as current


def run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def fill(module: ModuleType, directory: Path, seed: int) -> tuple[int, str]:
    """Group commits until one fails; the last acknowledged sequence and what failed."""
    rng, log = random.Random(seed), module.WriteAheadLog(directory, 1)
    sequence = acknowledged = 0
    step = "append"
    try:
        while True:
            step = "append"
            for _ in range(rng.randint(1, 6)):
                sequence += 1
                log.append(sequence, bytes([sequence % 251 + 1]) * rng.randint(200, 1500))
            step = "sync"
            log.sync(sequence)
            acknowledged = sequence
    except module.WalWriteError as error:
        return acknowledged, f"{step} failed: {error}"[:60]
    finally:
        log.close()  # closes the file (a broken log writes nothing more): the unmount needs it


def replayed(directory: Path) -> tuple[int, str | None]:
    """How many records replay from the start, and the damage that stopped the replay."""
    count = 0
    try:
        for record in current.replay(directory):
            assert record.sequence == count + 1 and record.payload == bytes([record.sequence % 251 + 1]) * len(record.payload)
            count += 1
    except current.WalCorruption as error:
        return count, error.reason
    return count, None


def attempt(module: ModuleType, work: Path, seed: int, block_size: int, tmpfs_mb: int) -> tuple[int, int, str | None, str]:
    backing, mounted, copy = work / "tmpfs", work / "mnt", work / "copy"
    for path in (backing, mounted):
        path.mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", f"size={tmpfs_mb}m", "tmpfs", str(backing)])
    loop = None
    try:
        image = backing / "disk.img"
        run(["truncate", "-s", "32M", str(image)])
        run(["mkfs.ext4", "-q", "-b", str(block_size), str(image)])
        loop = run(["losetup", "-f", "--show", str(image)])
        run(["mount", loop, str(mounted)])
        (mounted / "wal").mkdir()
        acknowledged, failure = fill(module, mounted / "wal", seed)
        run(["umount", str(mounted)])
        # space comes back before the read-only mount: an aborted journal needs writes to recover
        run(["mount", "-o", f"remount,size={4 * tmpfs_mb + 64}m", str(backing)])
        run(["mount", "-o", "ro", loop, str(mounted)])
        shutil.rmtree(copy, ignore_errors=True)
        copy.mkdir()
        for segment in (mounted / "wal").iterdir():  # replay cuts torn tails: it reads a copy
            (copy / segment.name).write_bytes(segment.read_bytes())
        count, damage = replayed(copy)
        return acknowledged, count, damage, failure
    finally:
        subprocess.run(["umount", str(mounted)], capture_output=True)
        if loop:
            subprocess.run(["losetup", "-d", loop], capture_output=True)
        subprocess.run(["umount", str(backing)], capture_output=True)
        shutil.rmtree(copy, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, action="append", default=[])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=4096)
    parser.add_argument("--tmpfs-mb", type=int, default=6)
    parser.add_argument("--work", type=Path, default=Path("/tmp/phasedsearch-wal-full-disk"))
    args = parser.parse_args()
    if os.geteuid() != 0:  # `python -m benchmarks all` as a user: say so instead of failing the suite
        print("Not run: mounting a loop device needs root.")
        return
    modules = {f"format {current.FORMAT_VERSION}": current}
    for index, path in enumerate(args.baseline):
        baseline = load_baseline(path, f"baseline_wal_{index}")
        modules[f"format {baseline.FORMAT_VERSION} (baseline)"] = baseline
    lost = {label: 0 for label in modules}
    for seed in range(1, args.runs + 1):
        for label, module in modules.items():
            acknowledged, count, damage, failure = attempt(module, args.work, seed, args.block_size, args.tmpfs_mb)
            lost[label] += count < acknowledged
            print(f"{label}, seed {seed}: {acknowledged} acknowledged ({failure}), {count} replayed"
                  + (f", then corruption ({damage})" if damage else ""), flush=True)
    print(f"\n| log | ext4 block size | runs | runs that lost an acknowledged record |\n| --- | --- | --- | --- |")
    for label, count in lost.items():
        print(f"| {label} | {args.block_size} | {args.runs} | {count} |")


if __name__ == "__main__":
    main()
