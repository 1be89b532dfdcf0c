"""考评 and 打擂台: the supervision office's verbs on units' scores (加减分, 发布). The scores themselves
are a read model (``operations/queries/scores.py``), computed from the round's rows."""
