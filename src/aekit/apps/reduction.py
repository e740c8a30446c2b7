"""Dimensionality reduction: codes drawn as a 2-D map, through PCA (or t-SNE, or UMAP when
installed) when the code has more than two dimensions."""

from __future__ import annotations

import numpy as np

PROJECTIONS = ("auto", "pca", "tsne", "umap")


def project_2d(Z: np.ndarray, method: str = "auto",
               random_state: int | None = 0) -> tuple[np.ndarray, tuple[str, str]]:
    """``(points (n, 2), axis names)`` for codes ``Z`` ``(n, latent_dim)``.

    ``auto``: a code of size 2 as it is (size 1 against zeros), a larger one through PCA.
    ``tsne`` uses scikit-learn's t-SNE; ``umap`` needs the ``umap-learn`` package.
    """
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {', '.join(PROJECTIONS)}, got {method!r}")
    Z = np.asarray(Z)
    if method == "auto" and Z.shape[1] <= 2:  # the codes as they are, in their own type
        if Z.shape[1] == 1:
            return np.column_stack([Z[:, 0], np.zeros(len(Z), Z.dtype)]), ("z0", "")
        return Z, ("z0", "z1")
    Z = Z.astype(np.float64)
    projection = "PCA" if method in ("auto", "pca") else method
    if Z.shape[1] < 2:
        raise ValueError(f"a map through {projection} needs codes of size 2 or more, got "
                         f"{Z.shape[1]}")
    if len(Z) < 3:
        raise ValueError(f"a map through {projection} needs at least 3 rows, got {len(Z)}")
    if method in ("auto", "pca"):
        from sklearn.decomposition import PCA

        pca = PCA(2, random_state=random_state).fit(Z)
        share = pca.explained_variance_ratio_
        return pca.transform(Z), (f"PC1 ({share[0]:.0%} of the code's variance)",
                                  f"PC2 ({share[1]:.0%})")
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(Z) - 1) / 3)
        points = TSNE(2, perplexity=perplexity, init="pca",
                      random_state=random_state).fit_transform(Z)
        return points, ("t-SNE 1", "t-SNE 2")
    try:
        import umap
    except ImportError:
        raise ValueError("method='umap' needs the umap-learn package "
                         "(pip install umap-learn); use 'pca' or 'tsne'") from None
    return umap.UMAP(random_state=random_state).fit_transform(Z), ("UMAP 1", "UMAP 2")


def latent_map(model, X, path, labels=None, method: str = "auto",
               random_state: int | None = 0) -> np.ndarray:
    """Encode ``X`` with a fitted ``model``, draw the codes in 2-D to the PNG ``path`` coloured
    by ``labels`` (one per row, optional; a pandas Series' name titles the legend), and return
    the 2-D points. Codes larger than 2 are projected by ``method`` fitted on these rows, so
    maps of other rows have other axes: draw rows to compare in one map, labelled apart.
    ``labels`` may name a column of a DataFrame ``X`` (``labels_of_rows``)."""
    from aekit.apps.report import plot_latent_map

    X, labels = labels_of_rows(model, X, labels)
    Z = np.asarray(model.transform(X))  # a DataFrame under set_output
    if labels is not None and len(labels) != len(Z):
        raise ValueError(f"labels has {len(labels)} entries for {len(Z)} rows")
    points, axes = project_2d(Z, method, random_state)
    plot_latent_map(points, path, _label_values(labels), axes,
                    title=f"{type(model).__name__}: {Z.shape[1]}-d codes of {len(Z)} rows",
                    label_name=getattr(labels, "name", None))
    return points


def labels_of_rows(model, X, labels):
    """``(X, labels)`` with the labels matched to ``X``'s rows. For a DataFrame ``X``:
    ``labels`` naming one of its columns is that column, left out of ``X`` unless ``model``
    was trained on it (as ``--labels`` on the command line), and a pandas Series of labels is
    matched to the rows by index, as pandas matches it (its order may differ; a Series of
    other rows is refused: taken by position, the colours would silently belong to other
    rows)."""
    from aekit.estimators._frames import is_frame

    if labels is not None and np.ndim(labels) == 0:  # a column's name (0, 1, ... too)
        if not is_frame(X) or labels not in X.columns:
            raise ValueError(f"labels={labels!r} names no column of X: name a column of a "
                             "DataFrame X, or give one label per row")
        trained_on = [str(n) for n in getattr(model, "feature_names_in_", ())]
        return (X if str(labels) in trained_on else X.drop(columns=[labels])), X[labels]
    if is_frame(X) and hasattr(labels, "index") and not labels.index.equals(X.index):
        index = labels.index
        if len(index) != len(X) or index.has_duplicates or not index.isin(X.index).all():
            raise ValueError("labels is a pandas Series whose index is not X's rows: give it "
                             "X's index, or an array (labels.to_numpy()) to take it by "
                             "position")
        labels = labels.reindex(X.index)
    return X, labels


def _label_values(labels):
    """``labels`` as a NumPy array; a pandas Series' missing values as NaN (numbers) or None
    (anything else), for pandas' own NA is neither."""
    if labels is None or not hasattr(labels, "to_numpy"):
        return labels
    if labels.dtype.kind in "biuf":
        return labels.to_numpy(dtype=float, na_value=np.nan)
    return labels.to_numpy(dtype=object, na_value=None)
