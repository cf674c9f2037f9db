"""A breast-cancer ML.PREDICT-style table: what BigQuery ML's logistic regression returns, built offline.

scikit-learn's ``load_breast_cancer`` (shipped with it) with string labels 'malignant'/'benign', a split
column (train/valid/test by the toolkit's own key hash of ``id``), and for two logistic regressions fitted
on train: ``predicted_label`` and ``predicted_label_probs``, an ARRAY<STRUCT<label STRING, prob FLOAT64>>
as ML.PREDICT gives (two entries per row, summing to 1), plus the malignant probability as a plain column
(``p_a``, ``p_b``) for the oracle.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

import oracle

POSITIVE = "malignant"
FRACTIONS = [Fraction(8, 10), Fraction(1, 10), Fraction(1, 10)]


def predictions() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    x, target = data.data, data.target  # target 0 = malignant, 1 = benign
    labels = np.where(target == 0, "malignant", "benign")
    ids = np.arange(len(labels))
    split = np.array([oracle.split_of_key(str(i), ["train", "valid", "test"], FRACTIONS, 10) for i in ids])
    frame = pd.DataFrame({"id": ids, "split": split, "label": labels})
    train = split == "train"
    for name, columns in (("a", slice(None)), ("b", slice(0, 4))):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(x[train][:, columns], labels[train])
        positive = list(model.classes_).index(POSITIVE)
        p = model.predict_proba(x[:, columns])[:, positive]
        frame[f"p_{name}"] = p
        frame[f"predicted_label_{name}"] = np.where(p >= 0.5, "malignant", "benign")
        frame[f"probs_{name}"] = [[{"label": "malignant", "prob": float(v)}, {"label": "benign", "prob": float(1 - v)}]
                                  for v in p]
    return frame
