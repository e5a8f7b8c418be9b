"""Adapters for outgoing side effects other than the table: queues, mail, object storage, outbound HTTP."""
