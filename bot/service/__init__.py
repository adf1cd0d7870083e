"""The service put together: built once from `Settings` (`assembly.py`), run by `runtime.py` or
`inbox_process.py`, served over HTTP by `asgi.py`."""
