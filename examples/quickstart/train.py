"""Quickstart training script: a linear classifier (SGD) on scikit-learn's digits dataset.

Script mode, as SageMaker's framework containers run it: hyperparameters arrive as sorted
``--name value`` arguments (and in $SM_HPS); the model goes to $SM_MODEL_DIR. Every epoch it
prints the validation metrics that the tuning spec's regexes capture.
"""

import argparse
import os
import pickle

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--loss", default="hinge")
    parser.add_argument("--penalty", default="elasticnet")
    parser.add_argument("--l1_ratio", type=float, default=0.15)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    features, labels = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        features, labels, test_size=0.3, random_state=0, stratify=labels
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    classes = np.unique(labels)
    model = SGDClassifier(
        loss=args.loss,
        penalty=args.penalty,
        alpha=args.alpha,
        l1_ratio=args.l1_ratio,
        random_state=args.seed,
    )
    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        train_accuracy = model.score(x_train, y_train)
        val_accuracy = model.score(x_val, y_val)
        print(
            f"epoch={epoch} train:accuracy={train_accuracy:.4f} "
            f"validation:accuracy={val_accuracy:.4f} validation:error={1 - val_accuracy:.4f}",
            flush=True,
        )

    model_dir = os.environ.get("SM_MODEL_DIR", "model")
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.pkl"), "wb") as handle:
        pickle.dump({"scaler": scaler, "model": model}, handle)


if __name__ == "__main__":
    main()
