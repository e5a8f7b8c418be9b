"""Make moto's DynamoDB safe behind a threaded server, and make a transaction cost what it touches (moto 5.2).

`install()` patches moto in this process (idempotent; `uninstall()` undoes it).  It changes the seven things
below and nothing else; every response moto gives stays the same.

1. **One lock around DynamoDB request handling.**  moto server answers each HTTP request on its own thread, but
   moto's DynamoDB backend is plain dicts and lists with no synchronisation: concurrent transactions fail with
   ``RuntimeError: dictionary changed size during iteration`` and, worse, a cancelled transaction puts back a
   stale copy of the whole table over what other threads committed meanwhile (acknowledged writes are lost).
   Here ``DynamoHandler.call_action`` (the action *and* the serialisation of its result) and the DynamoDB Streams
   handler's ``call_action`` run under one process-wide re-entrant lock.

   Why this granularity: one lock for every account, region and table, because a transaction may span tables and
   moto's backends share objects (stream shards point at tables); around ``call_action`` and not around the
   backend methods, because results are serialised *after* the backend returns, from the live ``Item`` objects
   (GetItem hands out the stored item itself), so a concurrent UpdateItem could otherwise change an answer while
   it is being written.  Request parsing and the HTTP I/O stay outside the lock.  The cost is nothing for one
   client and close to nothing for many: moto's DynamoDB work is pure Python under the GIL, so it never ran in
   parallel anyway.  Re-entrant, because a backend call can come back into DynamoDB on the same thread (e.g. a
   stream record handed to an in-process Lambda).  Not covered: other services that reach into the DynamoDB
   backend directly (CloudFormation stacks, ``/moto-api/reset``, ``/moto-api/data.json``) — run those while no
   DynamoDB traffic is in flight.

2. **An undo log instead of a copy of every table in TransactWriteItems.**  moto's
   ``DynamoDBBackend.transact_write_items`` deep-copies each table named in the transaction (once per operation)
   before it starts, and on cancellation swaps the copies in.  That makes every transaction O(table) in time and
   memory (a loop of 1 200 two-item transactions reached 3.4 GB), and the swap is what loses other threads'
   writes.  The replacement is moto's own method, line for line, except that before an operation writes it
   records the one item it is about to change (a copy, or "absent"), and a cancellation puts back exactly those
   items, newest first (items created by the transaction are removed again, including the empty hash-key bucket
   moto may have created for them), and drops the stream records the transaction appended.  moto keeps no index
   structures of its own (GSI and LSI queries are computed from the table's items), so restoring the items
   restores the indexes.  Cancellation reasons, ``ReturnValuesOnConditionCheckFailure`` items, error types and
   messages are moto's.  One deliberate difference: a request whose operation names more than one of
   Put/Update/Delete/ConditionCheck now also undoes the operations before it (moto raises the same
   ValidationException but leaves them applied; DynamoDB applies nothing).

3. **``ClientRequestToken`` on TransactWriteItems, as DynamoDB does it.**  botocore sends a token with every
   TransactWriteItems and retries a call whose answer was lost with the *same* token; DynamoDB then answers the
   retry with success without applying it again.  moto ignored the token, so the retry of a committed
   transaction ran again and was cancelled by its own first run.  Now, within ``token_window`` seconds (10
   minutes, as in DynamoDB) after a *successful* transaction, a request with the same token and the same
   parameters succeeds without applying anything, and the same token with different parameters is refused with
   ``IdempotentParameterMismatchException`` (400).  Tokens of cancelled transactions are not remembered (a retry
   runs again).  Memory is bounded: at most ``max_tokens`` tokens per account and region are kept (a SHA-256 of
   the parameters each, about 300 bytes); beyond that the oldest are forgotten early.

4. **Reading or deleting an absent item leaves nothing behind.**  On a table with a sort key, moto's
   ``Table.get_item`` and ``Table.delete_item`` index ``items[hash_key]``, a defaultdict, so every lookup of an
   absent partition (each GetItem, each condition of a transaction, each Delete) stored an empty bucket for good:
   memory grew with every key ever *asked for*, not with what is stored.  They now answer None for an absent
   partition without creating it; answers are unchanged.

5. **Items are not kept alive by moto's model registry.**  Every ``BaseModel`` instance is appended, in
   ``BaseModel.__new__``, to its class's ``instances_tracked`` list, for the ``/moto-api/data.json`` dashboard, and
   never removed.  ``dynamodb.Item`` is a BaseModel, and its ``__deepcopy__`` goes through ``__new__``: every item
   ever written, every copy in every Query and Scan answer, every old image of an update, and (with moto's own
   transactions) every item of every table copy stayed in memory for the life of the process.  ``Item`` and
   ``StreamRecord`` instances are no longer tracked (install also drops what was tracked so far), so memory follows
   what the tables hold.  The price: ``/moto-api/data.json`` no longer lists DynamoDB items (read them with Scan);
   every other service's models are listed as before.

6. **Attribute names are shared between items.**  Each request's JSON gives every item its own copy of every
   attribute name ("pk", "created_at", the names inside maps); a store's items all use the same few dozen.  A new
   ``Item`` now interns them (``sys.intern``), which takes about a fifth off the memory of a typical stored item.

7. **Attribute values take less memory.**  moto stores one ``DynamoType`` per attribute value (and per element of
   a list or map), an ordinary instance with a ``__dict__``.  Two changes, measured with tracemalloc on CPython
   3.11 for a 1.2 KB order item whose keys, revision, links and sealed fields are unique: 5 380 bytes in moto,
   3 340 with both (items whose sealed fields are equal, as the benchmark's: 2 420).

   a. *A slotted DynamoType.*  ``install`` makes a copy of moto's class, with the same name, methods and namespace
      plus ``__slots__ = ("type", "value")`` (``slotted_copy``; it refuses a class whose methods use ``super()``
      or ``__class__``), rebinds every moto module's reference to it, and turns the values already stored in any
      table or backup into it (same objects otherwise, same order).  ``uninstall`` does the reverse, so moto's
      own class is back with every stored item.  A class swap and not a subclass, because a subclass of a class
      without slots still has a ``__dict__``; and moto compares with ``type(x) is DynamoType``, so every value
      must be of exactly the one class moto's modules name.
   b. *Equal scalar values are shared* (``SharedScalars``).  A new ``Item``'s S, N, B, BOOL and NULL values (also
      inside its maps and lists) are replaced by an equal one recently stored under the same attribute name, or
      by the item's own key objects.  moto never changes such an object in place (an update, an ADD on a number,
      a REMOVE all put a new object in the item); it does change the lists of sets and lists and the dicts of
      maps, so those are never shared (their scalar elements are).  The table of recent values is bounded
      (8 per name, 1 024 names, values up to 1 024 characters) and does not grow with the tables.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_TOKEN_WINDOW",
    "SUPPORTED_MOTO",
    "TokenCache",
    "dynamodb_lock",
    "install",
    "installed",
    "uninstall",
]

SUPPORTED_MOTO = ("5.2.",)  # transact_write_items below is moto 5.2's, with the undo log
DEFAULT_TOKEN_WINDOW = 600.0  # seconds: DynamoDB's idempotency window for ClientRequestToken
DEFAULT_MAX_TOKENS = 50_000  # per account and region

_MISSING = object()
_TOKENS_ATTRIBUTE = "_client_request_tokens"  # set on a DynamoDBBackend instance (gone when moto resets it)

# One lock for all DynamoDB request handling in this process (see the module docstring, point 1).
dynamodb_lock = threading.RLock()

_install_lock = threading.Lock()
_saved: dict[tuple[type, str], Any] = {}  # (class, attribute) -> what it was (or _MISSING): non-empty = installed
_settings = {"token_window": DEFAULT_TOKEN_WINDOW, "max_tokens": DEFAULT_MAX_TOKENS}


# -- install / uninstall ------------------------------------------------------------------------------------------

def install(*, token_window: float = DEFAULT_TOKEN_WINDOW, max_tokens: int = DEFAULT_MAX_TOKENS,
            allow_untested_moto: bool = False) -> None:
    """Patch moto's DynamoDB in this process (calling it again only updates the token settings).

    Call it before the first DynamoDB request is served (before `mock_aws()` or before starting moto server); it
    is safe to call at any time.  Raises RuntimeError on a moto version this was not written against, unless
    `allow_untested_moto` (the replaced method is a copy of that version's).
    """
    if token_window <= 0 or max_tokens < 1:
        raise ValueError("token_window must be > 0 and max_tokens >= 1")
    import moto

    if not allow_untested_moto and not str(moto.__version__).startswith(SUPPORTED_MOTO):
        raise RuntimeError(f"emulator.moto_dynamodb was written against moto {'/'.join(SUPPORTED_MOTO)}x, "
                           f"this is moto {moto.__version__}: review transact_write_items against it")
    with _install_lock:
        _settings.update(token_window=float(token_window), max_tokens=int(max_tokens))
        if _saved:
            return
        from moto.core.responses import BaseResponse
        from moto.dynamodb.models import DynamoDBBackend, dynamo_type
        from moto.dynamodb.models.dynamo_type import Item
        from moto.dynamodb.models.table import StreamRecord, Table
        from moto.dynamodb.responses import DynamoHandler
        from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

        _patch(DynamoHandler, "call_action", _serialised(DynamoHandler.call_action))
        streams_call = DynamoDBStreamsHandler.__dict__.get("call_action", BaseResponse.call_action)
        _patch(DynamoDBStreamsHandler, "call_action", _serialised(streams_call))
        _patch(DynamoHandler, "transact_write_items", _honour_client_request_token(DynamoHandler.transact_write_items))
        _patch(DynamoDBBackend, "transact_write_items", transact_write_items)
        _patch(Table, "get_item", _absent_partition_is_none(Table.get_item))
        _patch(Table, "delete_item", _absent_partition_is_none(Table.delete_item))
        _patch(Item, "__init__", _compact_items(Item.__init__))
        for model in (Item, StreamRecord):
            _patch(model, "__new__", staticmethod(_untracked_new))
            model.instances_tracked.clear()  # type: ignore[union-attr]
        current = dynamo_type.DynamoType
        original = next((old for old, new in _slotted_classes.items() if new is current), current)
        slotted = slotted_copy(original)
        with dynamodb_lock:
            _swap_dynamo_type(original, slotted)
        _classes.update(original=original, slotted=slotted)


def uninstall() -> None:
    """Put moto back as it was (mainly for tests that compare with moto's own behaviour)."""
    with _install_lock:
        original, slotted = _classes["original"], _classes["slotted"]
        if original is not None and slotted is not None:
            with dynamodb_lock:
                _swap_dynamo_type(slotted, original)
        _classes.update(original=None, slotted=None)
        for (owner, name), previous in reversed(list(_saved.items())):
            if previous is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, previous)
        _saved.clear()


def installed() -> bool:
    return bool(_saved)


def _patch(owner: type, name: str, replacement: Any) -> None:
    _saved[(owner, name)] = owner.__dict__.get(name, _MISSING)
    setattr(owner, name, replacement)


def _serialised(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(call_action)
    def call_action_serialised(self: Any) -> Any:
        with dynamodb_lock:
            return call_action(self)

    return call_action_serialised


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)  # BaseModel.__new__ without appending to cls.instances_tracked


def _absent_partition_is_none(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def lookup(self: Any, hash_key: Any, range_key: Any = None, *args: Any, **kwargs: Any) -> Any:
        if range_key is not None and hash_key not in self.items:
            return None  # what moto answers, without leaving an empty bucket in the defaultdict
        return method(self, hash_key, range_key, *args, **kwargs)

    return lookup


# -- ClientRequestToken -------------------------------------------------------------------------------------------

class TokenCache:
    """Tokens of successful transactions and a digest of their parameters, for `window` seconds, at most
    `max_entries` of them (oldest forgotten first).  Not thread-safe by itself: used under `dynamodb_lock`."""

    def __init__(self, window: float = DEFAULT_TOKEN_WINDOW, max_entries: int = DEFAULT_MAX_TOKENS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()  # token -> (digest, expiry)

    def get(self, token: str) -> bytes | None:
        """The digest stored for `token`, or None when unknown or expired."""
        self._expire()
        entry = self._entries.get(token)
        return entry[0] if entry else None

    def add(self, token: str, digest: bytes) -> None:
        self._expire()
        self._entries[token] = (digest, self._clock() + self.window)
        self._entries.move_to_end(token)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self) -> None:
        now = self._clock()
        while self._entries:
            expiry = next(iter(self._entries.values()))[1]
            if expiry > now:
                return
            self._entries.popitem(last=False)


def _idempotent_parameter_mismatch() -> Exception:
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

    return DynamodbException(
        ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
        "The request uses the same client token as a previous, but non-identical request. Do not reuse a client "
        "token with different requests, unless the requests are identical.")


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return repr(value)


def parameters_digest(parameters: dict[str, Any]) -> bytes:
    """SHA-256 of a request's parameters, ClientRequestToken left out (key order does not matter)."""
    relevant = {name: value for name, value in parameters.items() if name != "ClientRequestToken"}
    canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(canonical.encode()).digest()


def _tokens(backend: Any) -> TokenCache:
    cache: TokenCache | None = backend.__dict__.get(_TOKENS_ATTRIBUTE)
    if cache is None:
        cache = TokenCache()
        setattr(backend, _TOKENS_ATTRIBUTE, cache)
    cache.window, cache.max_entries = _settings["token_window"], int(_settings["max_tokens"])
    return cache


def _honour_client_request_token(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(handler)
    def transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return handler(self)
        from moto.core.responses import ActionResult

        tokens = _tokens(self.dynamodb_backend)
        digest = parameters_digest(self.body)
        seen = tokens.get(token)
        if seen is not None:
            if seen != digest:
                raise _idempotent_parameter_mismatch()
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})  # moto's success answer
        result = handler(self)
        tokens.add(token, digest)  # only reached when the transaction succeeded
        return result

    return transact_write_items


# -- the undo log -------------------------------------------------------------------------------------------------

@dataclass
class _Before:
    """One item as it was before a transaction's operation wrote it."""

    table: Any
    hash_key: Any
    range_key: Any
    had_bucket: bool  # range-key tables: the hash key's bucket existed
    item: Any  # a copy of the item, or None when there was none

    def restore(self) -> None:
        items = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        if self.item is not None:
            items[self.hash_key][self.range_key] = self.item
            return
        bucket = items.get(self.hash_key)
        if bucket is not None:
            bucket.pop(self.range_key, None)
            if not bucket and not self.had_bucket:
                del items[self.hash_key]


@dataclass
class UndoLog:
    """What a transaction changed, to put back on cancellation: O(items touched), not O(table)."""

    before: list[_Before] = field(default_factory=list)
    streams: dict[int, tuple[Any, Any, list[Any], int]] = field(default_factory=dict)  # id(table) -> shard state

    def remember(self, backend: Any, table_name: str, key: dict[str, Any]) -> None:
        """Record the item at `key` before it is written (raises as moto's get_item would on a bad key/table)."""
        table = backend.get_table(table_name)
        hash_key, range_key = backend.get_keys_value(table, key)
        if table.range_key_attr is None:
            range_key = None
            had_bucket, current = hash_key in table.items, table.items.get(hash_key)
        else:
            bucket = table.items.get(hash_key)
            had_bucket, current = bucket is not None, (bucket or {}).get(range_key)
        self.before.append(_Before(table, hash_key, range_key, had_bucket, copy.deepcopy(current)))
        shard = table.stream_shard
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (table, shard, shard.items, len(shard.items))

    def rollback(self) -> None:
        for before in reversed(self.before):
            before.restore()
        for table, shard, records, length in self.streams.values():
            # Stream records appended by the transaction go too (unless a Lambda mapping already consumed them).
            if table.stream_shard is shard and shard.items is records and len(records) >= length:
                del records[length:]
        self.before.clear()
        self.streams.clear()


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:  # noqa: C901 (moto's shape)
    """moto 5.2's DynamoDBBackend.transact_write_items with an undo log in place of the copy of every table.

    Kept line for line as moto wrote it (diff it against moto/dynamodb/models/__init__.py); the changes are the
    `undo` lines."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = UndoLog()

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []  # [(Code, Message, Item), ..]
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        # Check transact writes are not performing multiple operations on the same item
        if len(list(item.keys())) > 1:
            undo.rollback()  # moto leaves the operations before this one applied
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)
            if op_type != "ConditionCheck":
                undo.remember(self, table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression,
                    expression_attribute_names,
                    expression_attribute_values,
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                attrs = op["Item"]
                self.put_item(
                    table_name,
                    attrs,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                update_expression = op["UpdateExpression"]
                self.update_item(
                    table_name,
                    key,
                    update_expression=update_expression,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            # Rollback to the original state, and reraise the error
            undo.rollback()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:
            # For other exceptions, capture their details
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        # Rollback to the original state, and reraise the errors
        undo.rollback()
        raise TransactionCanceledException(errors)


# -- smaller items ------------------------------------------------------------------------------------------------

SHARED_PER_NAME = 8  # distinct values remembered per attribute name (the most recently stored ones)
SHARED_MAX_NAMES = 1024  # attribute names remembered; past that, all are forgotten and it begins again
SHARED_MAX_LENGTH = 1024  # longer values are never shared
_SCALAR_TYPES = frozenset(("S", "N", "B", "BOOL", "NULL"))
_SCALAR_VALUES = (str, bytes, bool)
_slotted_classes: dict[Any, Any] = {}  # moto's DynamoType -> its slotted copy (made once, reused)
_classes: dict[str, Any] = {"original": None, "slotted": None}  # while installed: the swap


class SharedScalars:
    """Equal scalar attribute values shared between items.

    For each attribute name (top level or inside a map), the `per_name` values most recently stored under it are
    remembered; a new item whose value equals one of them gets that ``DynamoType`` instead of its own.  100 000
    items whose ``kind`` is "order" then hold one ``DynamoType`` and one string for it, not 100 000 of each.  An
    item's key attributes share the key objects its table holds anyway.

    Only S, N, B, BOOL and NULL values whose Python value is a str, bytes or bool are shared: moto never changes
    those objects in place (it replaces them), whereas it does change the lists of sets and lists and the dicts of
    maps, which are therefore never shared (their elements are).  What it keeps alive is bounded and does not grow
    with the tables: at most `max_names` x `per_name` values of at most `max_length` characters (8 MiB at worst,
    in practice a few KiB).  Used under `dynamodb_lock`; racing threads would only share a little less.
    """

    def __init__(self, per_name: int = SHARED_PER_NAME, max_names: int = SHARED_MAX_NAMES,
                 max_length: int = SHARED_MAX_LENGTH) -> None:
        self.per_name = per_name
        self.max_names = max_names
        self.max_length = max_length
        self._by_name: dict[Any, dict[Any, Any]] = {}

    def __len__(self) -> int:
        return sum(len(recent) for recent in self._by_name.values())

    def clear(self) -> None:
        self._by_name = {}

    def retype(self, retype: Callable[[Any], Any]) -> None:
        """Every remembered value replaced by `retype(value)` (install and uninstall swap moto's class)."""
        for recent in self._by_name.values():
            for raw, value in list(recent.items()):
                recent[raw] = retype(value)

    def share_item(self, item: Any, dynamo_type: Any) -> None:
        """Replace the item's scalar values (also inside its maps and lists) by shared equal ones."""
        keys = tuple(key for key in (item.hash_key, item.range_key)
                     if type(key) is dynamo_type and key.type in _SCALAR_TYPES)
        attrs = item.attrs
        for name, value in attrs.items():
            shared = self._share(value, name, keys, dynamo_type)
            if shared is not value:
                dict.__setitem__(attrs, name, shared)  # not LimitedSizeDict's check: an equal value, same size

    def _share(self, value: Any, name: Any, keys: tuple[Any, ...], dynamo_type: Any) -> Any:
        if type(value) is not dynamo_type:
            return value
        kind, raw = value.type, value.value
        if kind == "M" and type(raw) is dict:
            for inner, nested in raw.items():
                raw[inner] = self._share(nested, inner, keys, dynamo_type)
        elif kind == "L" and type(raw) is list:
            for index, nested in enumerate(raw):
                raw[index] = self._share(nested, name, keys, dynamo_type)
        elif kind in _SCALAR_TYPES and type(raw) in _SCALAR_VALUES:
            return self._scalar(value, name, keys)
        return value

    def _scalar(self, value: Any, name: Any, keys: tuple[Any, ...]) -> Any:
        kind, raw = value.type, value.value
        raw_type = type(raw)
        for key in keys:
            if key.type == kind and type(key.value) is raw_type and key.value == raw:
                return key
        if raw_type is not bool and len(raw) > self.max_length:
            return value
        recent = self._by_name.get(name)
        if recent is None:
            if len(self._by_name) >= self.max_names:
                self._by_name = {}
            recent = self._by_name[name] = {}
        found = recent.pop(raw, None)
        if found is not None and found.type == kind and type(found.value) is raw_type:
            recent[raw] = found  # now the most recent
            return found
        if len(recent) >= self.per_name:
            recent.pop(next(iter(recent), None), None)  # the least recently stored (never raises, even racing)
        recent[raw] = value
        return value


shared_scalars = SharedScalars()


def _interned(value: Any) -> Any:
    """A request's attribute value (nested dicts and lists) with every dict key interned."""
    if isinstance(value, dict):
        return {sys.intern(k) if type(k) is str else k: _interned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interned(v) for v in value]
    return value


def _compact_items(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        init(self, hash_key, range_key, _interned(attrs))
        dynamo_type = _classes["slotted"]
        if dynamo_type is not None:
            shared_scalars.share_item(self, dynamo_type)

    return item_init


def slotted_copy(cls: Any) -> Any:
    """`cls` (moto's DynamoType) again, with ``__slots__ = ("type", "value")``: the same methods, instances
    without a ``__dict__`` (48 bytes instead of about 90 on CPython 3.11).  Made once per class."""
    made = _slotted_classes.get(cls)
    if made is not None:
        return made
    namespace = {name: value for name, value in vars(cls).items() if name not in ("__dict__", "__weakref__")}
    for value in namespace.values():
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if code is not None and "__class__" in code.co_freevars:
            raise TypeError(f"{cls.__qualname__} uses super() or __class__: a copy would not work")
    namespace["__slots__"] = ("type", "value")
    made = type(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    _slotted_classes[cls] = made
    return made


def _rebind(old: Any, new: Any) -> None:
    """Every module-level reference to `old` now names `new` (moto's modules: any name; others: `DynamoType`)."""
    for name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        if name == "moto" or name.startswith("moto."):
            for attribute, value in list(namespace.items()):
                if value is old:
                    namespace[attribute] = new
        elif namespace.get("DynamoType") is old:
            namespace["DynamoType"] = new


class _Retype:
    """Turns `old` DynamoTypes into equal `new` ones in place: the same Item objects and dicts, in the same
    order, objects shared before still shared after."""

    def __init__(self, old: Any, new: Any) -> None:
        self.old, self.new = old, new
        self.done: dict[int, tuple[Any, Any]] = {}  # id(old object) -> (it, its replacement): ids stay unique
        self.items = 0

    def value(self, value: Any) -> Any:
        if type(value) is not self.old:
            return value
        done = self.done.get(id(value))
        if done is not None:
            return done[1]
        replacement = self.new.__new__(self.new)
        replacement.type, raw = value.type, value.value
        if value.type == "M" and type(raw) is dict:
            for name, nested in raw.items():
                raw[name] = self.value(nested)
        elif value.type == "L" and type(raw) is list:
            for index, nested in enumerate(raw):
                raw[index] = self.value(nested)
        replacement.value = raw
        self.done[id(value)] = (value, replacement)
        return replacement

    def item(self, item: Any) -> Any:
        item.hash_key, item.range_key = self.value(item.hash_key), self.value(item.range_key)
        attrs = item.attrs
        for name, value in list(attrs.items()):
            dict.__setitem__(attrs, name, self.value(value))
        self.items += 1
        return item

    def table(self, table: Any) -> None:
        entries = list(table.items.items())
        table.items.clear()
        for hash_key, held in entries:
            if isinstance(held, dict):  # a table with a sort key: sort key -> Item
                bucket = list(held.items())
                held.clear()
                held.update((self.value(range_key), self.item(item)) for range_key, item in bucket)
            else:
                self.item(held)
            table.items[self.value(hash_key)] = held


def _retype_stored_items(old: Any, new: Any) -> int:
    """Every `old` DynamoType held by a DynamoDB table or backup (any account and region), or remembered by
    `shared_scalars`, becomes an equal `new` one.  Returns how many items it went through."""
    from moto.dynamodb.models import dynamodb_backends

    retype = _Retype(old, new)
    shared_scalars.retype(retype.value)
    for regions in list(dynamodb_backends.values()):
        for backend in list(regions.values()):
            tables = list(getattr(backend, "tables", {}).values())
            tables += [backup.table for backup in getattr(backend, "backups", {}).values() if hasattr(backup, "table")]
            for table in tables:
                retype.table(table)
    return retype.items


def _swap_dynamo_type(old: Any, new: Any) -> None:
    """Make `new` moto's DynamoType: in every module, and for every item already stored."""
    _rebind(old, new)
    _retype_stored_items(old, new)
