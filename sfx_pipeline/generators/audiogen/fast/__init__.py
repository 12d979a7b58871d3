"""A fast AudioGen decoder: the LM of a loaded audiocraft model, stepped with static buffers.

Stock `LMModel.generate` is bound by the host: its KV cache grows by `torch.cat`, it
re-projects the text's cross-attention keys at every step and launches about 1,500 small
kernels per step from Python (audiocraft/modules/transformer.py:
`StreamingMultiheadAttention._complete_kv` concatenates, and cross-attention projects its
keys inside `forward`). This package runs the same modules' own
parameters with a preallocated KV cache, cross-attention K/V computed once per asset,
classifier-free guidance in the same forward, sampling on the device with per-row
parameters and per-row random streams, continuous batching of rows of any length, and CUDA
graphs on CUDA (the same code runs eagerly elsewhere).

Modules, in the order data flows: `model` (what is read from audiocraft, and whether it
can be), `kv_cache`, `layers` (one decoding step), `sampling`, `scheduler` (slots),
`slots` (the per-slot device state), `session` (buffers of one run shape and the step),
`graphs` (CUDA only), `audio` (EnCodec), `decoder` (the loop), and `jobs` (the backend's
use of it: build jobs in, results out, OOM handled).
"""
