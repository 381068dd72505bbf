"""Training engine: one visible loop and what it needs.

- ``config``: ``TrainConfig``, the ``train.*`` section (nanoGPT's names, the CPU baby recipe as defaults)
- ``loop``: ``train_model`` (evaluate, checkpoint, accumulate, clip, non-finite check, step, log)
- ``schedule``: warmup then cosine learning rate
- ``optim``: AdamW with decay / no-decay groups, fused where torch offers it
- ``checkpoint``: atomic safetensors + JSON checkpoints, verified on load, never unpickled
- ``distributed``: DDP under torchrun (gloo on CPU, nccl on CUDA)
- ``fit``: the short loop of the notes' small models (same metric keys as the engine)
- ``language_model``: GPT and BERT from a config: train (resuming), load, sample, fill [MASK]
- ``hooks``: test-only fault injection (environment variables)
"""
