"""The WeChat side: the webhook app, the process runner (`python -m bot`), embedded services."""
