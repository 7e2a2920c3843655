"""tunesmith: SageMaker Automatic Model Tuning on a laptop.

This module stays import-light on purpose: training scripts ``import tunesmith`` only to call
:func:`report`, and every training job pays for every import it makes.
"""

from tunesmith.reporting import report

__all__ = ["__version__", "report"]
__version__ = "0.1.0"
