"""The views of the web UI, one module per audience: ``auth`` (login, home), ``portal``
(customers), ``desk`` (agents), ``attachments`` (downloads for both)."""
