#!/usr/bin/env bash
# Training samples/s on this machine: 1 process x 1 thread, 2 processes x 1 thread (torchrun, gloo), and
# 1 process x 2 threads; same model, rows, global batch (32) and steps. Usage, from benchmarks/:
#   bash data_parallel.sh <encoder folder> [rows]     (e.g. the small-random model throughput.py builds)
set -euo pipefail
model="$1"; rows="${2:-4000}"
out="${OUT:-out/data_parallel}"; rm -rf "$out"; mkdir -p "$out"
common=(--preset nsmc --data-dir ../../shared/data/nsmc --model "$model" "data.max_train_rows=$rows"
        data.max_test_rows=200 train.epochs=1 train.eval_strategy=no "train.report_to=[]" train.progress_bar=false)
speed() {  # train_samples_per_second of the one run in folder $1
  python3 -c "import json,glob,sys; h=json.load(open(glob.glob(sys.argv[1]+'/*/log_history.json')[0])); \
print(next(e['train_samples_per_second'] for e in h if 'train_samples_per_second' in e))" "$1"
}
OMP_NUM_THREADS=1 ../.venv/bin/electralab train "${common[@]}" train.batch_size=32 "output_dir=$out/p1t1" >"$out/p1t1.log" 2>&1
OMP_NUM_THREADS=1 ../.venv/bin/torchrun --standalone --nproc-per-node 2 -m electralab.cli train "${common[@]}" \
  train.batch_size=16 "output_dir=$out/p2t1" >"$out/p2t1.log" 2>&1
OMP_NUM_THREADS=2 ../.venv/bin/electralab train "${common[@]}" train.batch_size=32 "output_dir=$out/p1t2" >"$out/p1t2.log" 2>&1
echo "1 process x 1 thread:  $(speed "$out/p1t1") samples/s"
echo "2 processes x 1 thread: $(speed "$out/p2t1") samples/s (global batch 2 x 16)"
echo "1 process x 2 threads: $(speed "$out/p1t2") samples/s"
