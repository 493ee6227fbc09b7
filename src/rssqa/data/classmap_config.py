"""A class map as YAML writes it <-> :class:`rssqa.data.classmap.ClassMap` arguments.

The YAML form stays close to how datasets document their labels: a list of classes, each with a
colour and/or the pixel value it is written as, a list of what to ignore (colours as strings,
pixel values as numbers), and ``threshold`` for binary grey masks. Which encodings a map declares
follows from what its classes carry, unless ``encoding`` names them outright.
"""

from __future__ import annotations

from collections.abc import Mapping

from rssqa.errors import InputError

_EXAMPLE = ('e.g. classes: [{name: Building, colour: "#3C1098"}], or [{name: building, value: 2}], '
            "or threshold: 128 with classes: [background, building]")
_KEYS = {"classes", "ignore", "ignore_index", "encoding", "threshold", "channel_threshold"}


def _classes(config: Mapping) -> tuple[list[str], list, list]:
    """Names, colours (None where absent) and pixel values (None where absent) of the classes."""
    try:
        classes = config["classes"]
        entries = [{"name": c} if isinstance(c, str) else dict(c) for c in classes]
        names = [e["name"] for e in entries]
    except (KeyError, TypeError, ValueError):
        raise InputError(None, "a class map needs 'classes': a list of class names or "
                         "{name, colour | value} entries", _EXAMPLE) from None
    return names, [e.get("colour", e.get("color")) for e in entries], [e.get("value") for e in entries]


def _encodings(config: Mapping, names: list[str], colours: list, values: list) -> tuple[str, ...]:
    """The declared encodings: ``encoding`` when given, else what the classes carry."""
    declared = config.get("encoding")
    if declared is not None:
        return (declared,) if isinstance(declared, str) else tuple(declared)
    inferred = []
    if all(c is not None for c in colours):
        inferred.append("colour")
    if any(v is not None for v in values):
        inferred.append("index")
    if config.get("threshold") is not None:
        inferred.append("threshold")
    if not inferred:
        missing = [n for n, c in zip(names, colours) if c is None]
        raise InputError(None, f"class(es) {', '.join(missing)} have no colour",
                         'add colour: "#RRGGBB" to each class, or declare their pixel values '
                         "(value: N, or encoding: index) or a threshold")
    return tuple(inferred)


def parse(config: Mapping) -> dict:
    """Keyword arguments of ``ClassMap`` from the YAML mapping (see ``ClassMap.from_dict``)."""
    if not isinstance(config, Mapping):
        raise InputError(None, "a class map must be a mapping", _EXAMPLE)
    unknown = sorted(set(config) - _KEYS)
    if unknown:
        raise InputError(None, f"the class map has unknown key(s) {', '.join(unknown)}",
                         f"known keys: {', '.join(sorted(_KEYS))}")
    names, colours, values = _classes(config)
    encodings = _encodings(config, names, colours, values)
    given = [v for v in values if v is not None]
    if given and len(given) != len(values):
        raise InputError(None, "some classes have a pixel value and some do not",
                         "give every class its value, or none (then class i is value i)")
    ignore = list(config.get("ignore", ()))
    return {"names": names, "colours": [] if None in colours else colours,
            "ignore_colours": [c for c in ignore if isinstance(c, str)],
            "ignore_values": [v for v in ignore if not isinstance(v, str)],
            "ignore_index": config.get("ignore_index", 255), "encodings": encodings,
            "values": given, "threshold": config.get("threshold"),
            "channel_threshold": config.get("channel_threshold")}


def unparse(classmap) -> dict:
    """The YAML mapping of a ``ClassMap``; a plain colour map keeps its original short form."""
    classes = [{"name": n, "colour": c} for n, c in zip(classmap.names, classmap.colours)]
    plain = {"classes": classes, "ignore": list(classmap.ignore_colours),
             "ignore_index": classmap.ignore_index}
    if tuple(classmap.encodings) == ("colour",) and classmap.channel_threshold is None:
        return plain
    for entry, value in zip(classes, classmap.values):
        entry["value"] = value
    plain["ignore"] += list(classmap.ignore_values)
    plain["encoding"] = list(classmap.encodings)
    for key in ("threshold", "channel_threshold"):
        if getattr(classmap, key) is not None:
            plain[key] = getattr(classmap, key)
    return plain
