"""The params-file key `<collection>/<module path>/<name>`, shared by the mapping and the writer."""

COLLECTIONS = ("params", "state")


def entry_key(collection: str, module: str, name: str) -> str:
    """Returns the file key `<collection>/<module>/<name>` of one array.

    Args:
      collection: `"params"` or `"state"`.
      module: the module path, e.g. `mlp/~/linear_0`; non-empty, may contain `/` and `~`.
      name: the parameter name, e.g. `w`; non-empty and without `/`.

    Returns:
      The key, e.g. `params/mlp/~/linear_0/w`.

    Raises:
      ValueError: the collection is unknown, or the key could not be split back.
    """
    if collection not in COLLECTIONS:
        raise ValueError(f"collection must be one of {COLLECTIONS}, got {collection!r}")
    if not module or not name or "/" in name or "\0" in module + name:
        raise ValueError(
            f"invalid entry {collection}[{module!r}][{name!r}]: the module path must be non-empty "
            "and the name non-empty without '/' (module paths may contain '/' and '~')"
        )
    return f"{collection}/{module}/{name}"


def split_key(key: str) -> tuple[str, str, str]:
    """Splits a file key into `(collection, module, name)`; the name follows the last `/`.

    Args:
      key: a key as made by `entry_key`.

    Returns:
      The collection, module path and parameter name.

    Raises:
      ValueError: the key is not of that form.

    >>> split_key("params/mlp/~/linear_0/w")
    ('params', 'mlp/~/linear_0', 'w')
    """
    collection, _, rest = key.partition("/")
    module, _, name = rest.rpartition("/")
    if collection not in COLLECTIONS or not module or not name:
        raise ValueError(f"key {key!r} is not of the form '<params|state>/<module path>/<name>'")
    return collection, module, name
