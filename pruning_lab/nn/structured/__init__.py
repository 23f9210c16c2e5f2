"""Structured pruning with physical removal: whole neurons and channels out, a smaller network back.

Masks multiply weights by zero, so a masked network is neither smaller nor faster.  Here whole
hidden neurons of fully connected networks and whole channels of ResNet-20 (the internal channel
of every block and the coupled channels of the residual stream, with option-A or option-B
shortcuts) are scored, selected and removed:

- :mod:`pruning_lab.nn.structured.layout`: which units are removed together (channel spaces and
  groups; the option-A shortcut followed through the stages) and ``ChannelMapShortcut``.
- :mod:`pruning_lab.nn.structured.importance`: the criteria ``"l1"``, ``"l2"``, ``"bn"``,
  ``"taylor"``, ``"attention"`` and the keep-sets of a kept fraction.
- :mod:`pruning_lab.nn.structured.attention`: the unit attention behind ``"attention"``
  (fully connected networks only), a softmax over the neurons of each hidden layer trained with
  the weights.
- :mod:`pruning_lab.nn.structured.surgery`: the equivalent masks, the smaller network, and
  ``save_pruned`` / ``load_pruned``.
"""

from .attention import UnitAttention, attach_unit_attention, attention_scores, check_data
from .importance import CRITERIA, check_fraction, group_importance, keep_count, keep_sets
from .layout import ACTIVATIONS, ChannelLayout, ChannelMapShortcut, channel_layout
from .surgery import (
    architecture_spec,
    build_from_spec,
    load_pruned,
    masked_equivalent,
    prune_structured,
    remove_structured,
    save_pruned,
    structured_masks,
)

__all__ = [
    "ACTIVATIONS",
    "CRITERIA",
    "ChannelLayout",
    "ChannelMapShortcut",
    "UnitAttention",
    "architecture_spec",
    "attach_unit_attention",
    "attention_scores",
    "build_from_spec",
    "channel_layout",
    "check_data",
    "check_fraction",
    "group_importance",
    "keep_count",
    "keep_sets",
    "load_pruned",
    "masked_equivalent",
    "prune_structured",
    "remove_structured",
    "save_pruned",
    "structured_masks",
]
