"""Human operators: the handover queue, hotline hours, accounts and the web console."""
