"""The HTTP layer: the only package that imports httpx (in client.py and retry.py).

Nothing is imported here, so that reaching ``httpql.http.secret`` does not load httpx.
"""
