"""rssqa: label-free quality assessment of remote-sensing semantic segmentation.

Implements RS-SQA (arXiv 2502.13990): predict, for every image and every segmentation method in a
pool, the overall accuracy that method's segmentation will reach, then rank and recommend.
"""

__version__ = "0.1.0"
