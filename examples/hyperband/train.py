"""Hyperband example: a small neural network (scikit-learn's MLPClassifier) trained one epoch
at a time with ``partial_fit`` on the digits dataset that ships with scikit-learn.

Script mode, as SageMaker's framework containers run it: hyperparameters arrive as sorted
``--name value`` arguments; the model goes to $SM_MODEL_DIR. After every epoch it prints the
validation accuracy, which the tuning job's regex captures: Hyperband counts those reports as
the resource, so a job stopped at rung 1 has trained for exactly one epoch.
"""

import argparse
import os
import pickle
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--hidden-units", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    features, labels = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        features, labels, test_size=0.3, random_state=0, stratify=labels
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    classes = np.unique(labels)
    model = MLPClassifier(
        hidden_layer_sizes=(args.hidden_units,),
        solver="sgd",
        learning_rate_init=args.learning_rate,
        momentum=args.momentum,
        alpha=args.alpha,
        batch_size=args.batch_size,
        random_state=args.seed,
    )
    rng = np.random.default_rng(args.seed)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        try:
            with np.errstate(all="ignore"):
                model.partial_fit(x_train[order], y_train[order], classes=classes)
                train_accuracy = model.score(x_train, y_train)
                val_accuracy = model.score(x_val, y_val)
        except ValueError as error:  # the weights diverged (learning rate far too high)
            output_dir = os.environ.get("SM_OUTPUT_DIR", "output")
            os.makedirs(output_dir, exist_ok=True)
            with open(os.path.join(output_dir, "failure"), "w") as handle:
                handle.write(f"Training diverged at epoch {epoch}: {error}")
            raise SystemExit(1) from error
        print(
            f"epoch={epoch} train:accuracy={train_accuracy:.4f} "
            f"validation:accuracy={val_accuracy:.4f}",
            flush=True,
        )

    model_dir = os.environ.get("SM_MODEL_DIR", "model")
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.pkl"), "wb") as handle:
        pickle.dump({"scaler": scaler, "model": model}, handle)


if __name__ == "__main__":
    main()
