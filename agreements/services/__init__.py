"""Every state transition and every multi-object write is one function here.

Each runs in a transaction, checks permission (through agreements.policy.access) and state, raises DomainError with a
German message on refusal, and records what happened (a procedure step for the timeline, history for the audit).
"""
