"""Labelled imagery in, square tiles out: readers, class maps, tiling, splits and the SQED store."""
