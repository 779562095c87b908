"""ELECTRA pretraining: generator + discriminator on replaced-token detection, with a per-step view.

Entry points: :func:`electralab.pretraining.recipe.run_pretraining` (the ``electralab pretrain`` command),
:func:`electralab.pretraining.config.build_pretrain_config`, :func:`electralab.pretraining.pair.build_pair`,
:class:`electralab.pretraining.model.ElectraPretrainingModel` and :func:`electralab.pretraining.view.build_view`.
"""
