"""The atnt-platform policy pack: one set of rules, run two ways.

* ``pulumi preview --policy-pack policy`` runs ``__main__.py`` (Pulumi CrossGuard), which wraps
  every rule of ``rules.py`` as a resource or stack validation policy.
* ``python -m policy.offline build/plan`` (and the tests) run the same rules over the offline
  plan documents ``python -m offline`` writes, without the Pulumi CLI or a cloud account.
"""
