"""Text2Seg (Zhang et al., arXiv 2304.10597): zero-shot semantic segmentation from class names,
by chaining foundation models, as pool members whose per-tile accuracy rssqa predicts.

Routes (``rssqa.text2seg.route``): "grounded-sam" (Grounding DINO boxes -> SAM), "surgery-sam"
(CLIP Surgery maps -> points -> SAM), "sam-clip" (SAM everything -> CLIP per mask), "sam" (the
vanilla-SAM reference), and the offline ones that need no foundation-model weights:
"superpixel-clip", "superpixel-surgery" and the default "offline" (scikit-image regions scored by
the project's CLIP-RS model). The member: ``rssqa.text2seg.member.Text2SegMember``.
"""

from rssqa.text2seg.member import Text2SegMember
from rssqa.text2seg.route import ROUTES, create_route

__all__ = ["ROUTES", "Text2SegMember", "create_route"]
