"""CLIP-RS: continual CLIP pretraining on remote-sensing image-text pairs with purified captions
(the paper's section 3.1), offline and at scale.

- ``captions``  structured captions from label masks (the high-quality text)
- ``noise``     the synthetic noisy "web" caption pool, with its ground truth
- ``model``     the offline LiT CLIP (ImageNet EfficientNet-Lite0 + MiniLM-L6) as an open_clip model
- ``train``     contrastive training of any open_clip model; ``torchrun -m rssqa.cliprs.train``
- ``embed``     image/caption embeddings of a trained model folder
- ``purify``    scoring pairs with CLIP_Sem and the calibrated threshold rule
- ``refine``    captioners that rewrite flagged captions (predicted-mask captions, local VLMs)
- ``evaluate``  retrieval, zero-shot class presence and filter precision/recall, with intervals
- ``pipeline``  the stages, cached and resumable; ``command`` the CLI entry points

The trained image tower plugs into RS-SQA as ``create_encoder("clip-rs", checkpoint=...)``.
"""
