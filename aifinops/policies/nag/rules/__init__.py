"""The AiFinOps rules, one a module; `aifinops.policies.nag.pack` lists them."""
