"""The pool member kinds rssqa does not train, by the ``name`` a ``pool.methods`` entry gives them.

Every other name in ``pool.methods`` is a segmentation method rssqa trains
(``rssqa.segzoo.base.METHODS``). A kind is a class implementing ``rssqa.pool.member.PoolMember``,
registered with ``@MEMBER_KINDS.register("name")``; its ``PATH_KWARGS`` name the constructor
arguments that are file or folder paths (recorded as absolute paths with the trained pool).
"""

from __future__ import annotations

from rssqa.registry import Registry


def _load_builtin_kinds() -> None:
    # Each module registers its member class with @MEMBER_KINDS.register on import.
    import rssqa.pool.predictions  # noqa: F401
    import rssqa.pool.torch_member  # noqa: F401
    import rssqa.text2seg.member  # noqa: F401


# Members that rssqa does not train, by the ``name`` a pool entry gives them; every other name in
# ``pool.methods`` is a segmentation method rssqa trains (``rssqa.segzoo.base.METHODS``).
MEMBER_KINDS: Registry[type] = Registry("pool member kind", _load_builtin_kinds)
