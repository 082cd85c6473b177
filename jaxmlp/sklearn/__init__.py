"""scikit-learn estimators backed by jaxmlp: ``MLPClassifier`` and ``MLPRegressor``.

scikit-learn's parameters, attributes and methods (``base``: what the two share; ``inputs``:
``X``, ``y`` and the early-stopping split, checked as scikit-learn checks them), trained with
``jaxmlp.fit``. The differences a user can see are listed in ``base.BaseMLP``'s docstring.
"""

from .base import DENSE_BYTES as DENSE_BYTES
from .base import NonFiniteWeightsError as NonFiniteWeightsError
from .estimators import MLPClassifier as MLPClassifier
from .estimators import MLPRegressor as MLPRegressor
