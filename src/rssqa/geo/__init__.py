"""Large georeferenced scenes: raster settings, windowed reading, per-tile quality maps,
best-of mosaics written as cloud-optimised GeoTIFFs, and many scenes on a Dask cluster.

``rssqa recommend SCENE.tif`` lands in :func:`rssqa.geo.scene.recommend_scene` (one scene, in
this process) or :func:`rssqa.geo.scaleout.recommend_scenes` (many, as Dask tasks).
"""
