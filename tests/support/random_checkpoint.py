"""Write an AudioGen checkpoint with random weights, in audiocraft's release format.

Machines without a model hub (CI, air-gapped build boxes) cannot download
`facebook/audiogen-medium`, yet the loading, batching and decoding code must be exercised
for real. A folder with `state_dict.bin` and `compression_state_dict.bin`, each
`{'xp.cfg': <YAML>, 'best_state': <weights>, 'version', 'exported'}`, loads through the same
loader a downloaded model takes (`loading.build`, audiocraft's `get_pretrained` steps). The
text conditioner is a lookup table with the `noop` tokenizer, so no T5 download and no spaCy model is needed.

`Size.medium()` is the audiogen-medium LM (dim 1536, 48 layers, 24 heads, FFN 6144, 4
codebooks x 2048) for benchmarks; `Size.tiny()` runs in a second on a CPU, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRAME_RATE = 50  # EnCodec at 16 kHz with hop 320, as audiogen-medium


@dataclass(frozen=True)
class Size:
    dim: int
    num_layers: int
    num_heads: int
    card: int  # codebook size; audiocraft samples top_k (default 250) from it, so card >= top_k
    n_q: int = 4
    encodec_filters: int = 4
    encodec_dimension: int = 16
    text_bins: int = 64

    @staticmethod
    def tiny() -> Size:
        return Size(dim=32, num_layers=2, num_heads=2, card=256)

    @staticmethod
    def medium() -> Size:
        return Size(dim=1536, num_layers=48, num_heads=24, card=2048, encodec_filters=64, encodec_dimension=128,
                    text_bins=1024)


def lm_config(size: Size) -> dict[str, Any]:
    return {
        "device": "cpu",
        "dtype": "float32",
        "sample_rate": 16000,
        "channels": 1,
        "dataset": {"segment_duration": 10.0},
        "lm_model": "transformer_lm",
        "codebooks_pattern": {"modeling": "delay", "delay": {"delays": list(range(size.n_q)), "flatten_first": 0,
                                                             "empty_initial": 0}},
        "transformer_lm": {
            "dim": size.dim, "num_heads": size.num_heads, "num_layers": size.num_layers, "hidden_scale": 4,
            "n_q": size.n_q, "card": size.card, "dropout": 0.0, "emb_lr": None, "activation": "gelu",
            "norm_first": True, "bias_ff": False, "bias_attn": False, "bias_proj": False, "past_context": None,
            "causal": True, "custom": False, "memory_efficient": True, "attention_as_float32": False,
            "layer_scale": None, "positional_embedding": "sin", "xpos": False, "checkpointing": "none",
            "weight_init": "gaussian", "depthwise_init": "current", "zero_bias_init": True, "norm": "layer_norm",
            "cross_attention": False, "qk_layer_norm": False, "qk_layer_norm_cross": False,
            "attention_dropout": None, "kv_repeat": 1, "two_step_cfg": False,
        },
        "classifier_free_guidance": {"training_dropout": 0.1, "inference_coef": 3.0},
        "attribute_dropout": {},
        "fuser": {"cross_attention_pos_emb": False, "cross_attention_pos_emb_scale": 1, "sum": [], "prepend": [],
                  "cross": ["description"], "input_interpolate": []},
        "conditioners": {"description": {"model": "lut", "lut": {"n_bins": size.text_bins, "dim": size.dim,
                                                                 "tokenizer": "noop"}}},
    }


def compression_config(size: Size) -> dict[str, Any]:
    return {
        "device": "cpu",
        "sample_rate": 16000,
        "channels": 1,
        "compression_model": "encodec",
        "encodec": {"autoencoder": "seanet", "quantizer": "rvq", "sample_rate": 16000, "channels": 1,
                    "causal": False, "renormalize": False},
        "seanet": {
            "dimension": size.encodec_dimension, "channels": 1, "causal": False, "n_filters": size.encodec_filters,
            "n_residual_layers": 1, "ratios": [8, 5, 4, 2], "activation": "ELU", "activation_params": {"alpha": 1.0},
            "norm": "weight_norm", "norm_params": {}, "kernel_size": 7, "residual_kernel_size": 3,
            "last_kernel_size": 7, "dilation_base": 2, "pad_mode": "constant", "true_skip": True, "compress": 2,
            "lstm": 0, "disable_norm_outer_blocks": 0,
            "decoder": {"trim_right_ratio": 1.0, "final_activation": None, "final_activation_params": None},
            "encoder": {},
        },
        "rvq": {"n_q": size.n_q, "q_dropout": False, "bins": size.card, "decay": 0.99, "kmeans_init": False,
                "kmeans_iters": 50, "threshold_ema_dead_code": 2, "orthogonal_reg_weight": 0.0,
                "orthogonal_reg_active_codes_only": False},
    }


def write(folder: Path, size: Size | None = None, seed: int = 0, half: bool = False,
          transformer: dict[str, Any] | None = None) -> Path:
    """Create `folder` with both checkpoint files; returns it.

    `half` stores float16 weights, as the released audiogen-medium does (3.6 GB instead of
    7.2 GB); audiocraft's loader converts them to the model's dtype either way. `transformer`
    overrides settings of the language model's transformer (another architecture)."""
    import audiocraft
    import torch
    from audiocraft.models import builders
    from omegaconf import OmegaConf

    size = size or Size.tiny()
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    lm = lm_config(size)
    lm["transformer_lm"].update(transformer or {})
    for filename, config, build in (
        ("state_dict.bin", lm, builders.get_lm_model),
        ("compression_state_dict.bin", compression_config(size), builders.get_compression_model),
    ):
        cfg = OmegaConf.create(config)
        model = build(cfg)
        state = {k: v.half() if half and v.is_floating_point() else v for k, v in model.state_dict().items()}
        package = {"xp.cfg": OmegaConf.to_yaml(cfg), "best_state": state,
                   "version": audiocraft.__version__, "exported": True}
        torch.save(package, folder / filename)
    return folder
