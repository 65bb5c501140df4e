"""The `Table` port on DynamoDB (AWS; DynamoDB-compatible stores and moto in tests).

One table keyed by the strings `pk` (HASH) and `sk` (RANGE). The low-level client is
injected so that nothing is built at import time and tests can run it under moto. Item
values go through boto3's type (de)serializers; numbers come back as `int`. Reads are
strongly consistent because the use cases read their own writes right away.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.adapters.table_checks import (
    CONDITION_FAILED,
    KEYS,
    TRANSIENT_REASONS,
    cancellation,
    check_condition,
    check_get_many,
    check_keys,
    check_ops,
    check_query,
    check_update,
)
from chalicelib.domain.errors import (
    ConditionFailedError,
    ContentionError,
    InvalidRequestError,
)
from chalicelib.domain.ports import Condition, Delete, Item, Page, Put, TransactOp, Update

__all__ = ["DynamoTable", "create_table", "make_dynamo_client"]

_serializer = TypeSerializer()
# A single write to an item a transaction is writing, a transaction whose token is still
# in flight, or throttling left after botocore's own retries: nothing was written.
_BATCH_TRIES = 5
_CONTENTION_CODES = frozenset({"TransactionConflictException", "TransactionInProgressException",
                               "ProvisionedThroughputExceededException", "ThrottlingException",
                               "RequestLimitExceeded"})
_deserializer = TypeDeserializer()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the domain only stores integers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def _deserialize(raw: Mapping[str, Any]) -> Item:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _encode_cursor(key: Mapping[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, pk: str) -> dict[str, Any]:
    """The LastEvaluatedKey inside `cursor`, refused unless it points into partition `pk`."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    if (not isinstance(key, dict) or set(key) != set(KEYS)
            or key["pk"] != {"S": pk} or not isinstance(key["sk"], dict)
            or set(key["sk"]) != {"S"} or not isinstance(key["sk"]["S"], str)):
        raise InvalidRequestError("The cursor is not valid.", code="invalid_cursor")
    return key


class _Expr:
    """The `#n` / `:v` placeholders of one request's expressions."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attr: str) -> str:
        for placeholder, known in self.names.items():
            if known == attr:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attr
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _serializer.serialize(value)
        return placeholder

    def condition(self, cond: Condition | None) -> str | None:
        if cond is None:
            return None
        parts: list[str] = []
        if cond.exists is not None:
            fn = "attribute_exists" if cond.exists else "attribute_not_exists"
            parts.append(f"{fn}({self.name('pk')})")
        for attr, value in cond.equals.items():
            if value is None:  # NULL must not match a missing attribute (moto lets it)
                parts.append(f"attribute_exists({self.name(attr)})")
            parts.append(f"{self.name(attr)} = {self.value(value)}")
        for attr, values in cond.one_of.items():
            listed = ", ".join(self.value(v) for v in values)
            parts.append(f"{self.name(attr)} IN ({listed})")
        return " AND ".join(parts) or None

    def update(self, op: Update) -> str:
        clauses: list[str] = []
        if op.set:
            sets = ", ".join(f"{self.name(a)} = {self.value(v)}" for a, v in op.set.items())
            clauses.append(f"SET {sets}")
        if op.add:
            adds = ", ".join(f"{self.name(a)} {self.value(n)}" for a, n in op.add.items())
            clauses.append(f"ADD {adds}")
        if op.remove:
            clauses.append("REMOVE " + ", ".join(self.name(a) for a in op.remove))
        return " ".join(clauses)

    def params(self, condition: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if condition:
            out["ConditionExpression"] = condition
        if self.names:
            out["ExpressionAttributeNames"] = self.names
        if self.values:
            out["ExpressionAttributeValues"] = self.values
        return out


class DynamoTable:
    """`Table` on one DynamoDB table, through an injected low-level `dynamodb` client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._name = table_name

    def get(self, pk: str, sk: str) -> Item | None:
        resp = self._client.get_item(TableName=self._name, Key=_key(pk, sk), ConsistentRead=True)
        raw = resp.get("Item")
        return _deserialize(raw) if raw else None

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Item | None]:
        """One BatchGetItem (strongly consistent); keys DynamoDB leaves unprocessed
        (throttling) are asked again, at most `_BATCH_TRIES` times in all."""
        check_get_many(keys)
        found: dict[tuple[str, str], Item] = {}
        wanted = [_key(pk, sk) for pk, sk in dict.fromkeys(keys)]
        for _ in range(_BATCH_TRIES):
            if not wanted:
                break
            resp = self._client.batch_get_item(RequestItems={
                self._name: {"Keys": wanted, "ConsistentRead": True}})
            for raw in resp.get("Responses", {}).get(self._name, []):
                item = _deserialize(raw)
                found[(item["pk"], item["sk"])] = item
            wanted = resp.get("UnprocessedKeys", {}).get(self._name, {}).get("Keys", [])
        if wanted:
            raise ContentionError("the table left keys of a batch read unprocessed")
        return [found.get(key) for key in keys]

    def put(self, item: Item, condition: Condition | None = None) -> None:
        self._write(self._client.put_item, self._put_params(Put(item, condition)))

    def update(self, op: Update) -> Item:
        check_update(op)
        resp = self._write(self._client.update_item,
                           {**self._update_params(op), "ReturnValues": "ALL_NEW"})
        return _deserialize(resp["Attributes"])

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        self._write(self._client.delete_item, self._delete_params(Delete(pk, sk, condition)))

    def query(
        self,
        pk: str,
        *,
        prefix: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page:
        """One page, fetched with Limit=limit+1 so the last page has no cursor."""
        check_query(limit, prefix, start, end)
        if start is not None and end is not None and start > end:
            return Page([], None)
        expr = _Expr()
        key_cond = f"{expr.name('pk')} = {expr.value(pk)}"
        sk = expr.name("sk") if prefix or start is not None or end is not None else ""
        if prefix:
            key_cond += f" AND begins_with({sk}, {expr.value(prefix)})"
        elif start is not None and end is not None:
            key_cond += f" AND {sk} BETWEEN {expr.value(start)} AND {expr.value(end)}"
        elif start is not None:
            key_cond += f" AND {sk} >= {expr.value(start)}"
        elif end is not None:
            key_cond += f" AND {sk} <= {expr.value(end)}"
        params: dict[str, Any] = {
            "TableName": self._name, "KeyConditionExpression": key_cond,
            "ScanIndexForward": not descending, "Limit": limit + 1, "ConsistentRead": True,
            **expr.params()}
        if cursor is not None:
            params["ExclusiveStartKey"] = self._start_key(cursor, pk, prefix, start, end)
        raw: list[dict[str, Any]] = []
        while True:
            resp = self._client.query(**params)
            raw.extend(resp.get("Items", []))
            last = resp.get("LastEvaluatedKey")
            if len(raw) > limit or not last:
                break
            params.update(ExclusiveStartKey=last, Limit=limit + 1 - len(raw))
        items = [_deserialize(r) for r in raw[:limit]]
        more = len(raw) > limit
        return Page(items, _encode_cursor(_key(pk, items[-1]["sk"])) if more else None)

    def transact(self, ops: Sequence[TransactOp]) -> None:
        """TransactWriteItems. A cancellation becomes `TransactionConflictError` when a
        condition failed, `ContentionError` when only another transaction or throttling
        stood in the way (see `table_checks.cancellation`)."""
        check_ops(ops)
        if not ops:
            return
        items = [self._transact_item(op) for op in ops]
        try:
            self._client.transact_write_items(TransactItems=items,
                                              ClientRequestToken=uuid.uuid4().hex)
        except ClientError as exc:
            code = _code(exc)
            if code in _CONTENTION_CODES:
                raise ContentionError(code) from exc
            if code != "TransactionCanceledException":
                raise
            reasons = [_reason(r) for r in exc.response.get("CancellationReasons", [])]
            if not set(reasons) <= {"", CONDITION_FAILED, *TRANSIENT_REASONS}:
                raise  # a validation error or worse: a bug, not a state of the data
            raise cancellation(reasons) from exc

    def _put_params(self, op: Put) -> dict[str, Any]:
        check_keys(op.item.get("pk"), op.item.get("sk"))
        check_condition(op.condition)
        expr = _Expr()
        cond = expr.condition(op.condition)
        return {"TableName": self._name, "Item": _serialize(op.item), **expr.params(cond)}

    def _update_params(self, op: Update) -> dict[str, Any]:
        expr = _Expr()
        update = expr.update(op)
        cond = expr.condition(op.condition)
        return {"TableName": self._name, "Key": _key(op.pk, op.sk), "UpdateExpression": update,
                **expr.params(cond)}

    def _delete_params(self, op: Delete) -> dict[str, Any]:
        check_keys(op.pk, op.sk)
        check_condition(op.condition)
        expr = _Expr()
        cond = expr.condition(op.condition)
        return {"TableName": self._name, "Key": _key(op.pk, op.sk), **expr.params(cond)}

    def _transact_item(self, op: TransactOp) -> dict[str, Any]:
        if isinstance(op, Put):
            return {"Put": self._put_params(op)}
        if isinstance(op, Update):
            return {"Update": self._update_params(op)}
        if isinstance(op, Delete):
            return {"Delete": self._delete_params(op)}
        expr = _Expr()
        cond = expr.condition(op.condition)
        return {"ConditionCheck": {"TableName": self._name, "Key": _key(op.pk, op.sk),
                                   **expr.params(cond)}}

    @staticmethod
    def _start_key(cursor: str, pk: str, prefix: str | None, start: str | None,
                   end: str | None) -> dict[str, Any]:
        """DynamoDB rejects a start key outside the key condition: refuse it as bad input."""
        key = _decode_cursor(cursor, pk)
        after = key["sk"]["S"]
        if ((prefix and not after.startswith(prefix)) or (start is not None and after < start)
                or (end is not None and after > end)):
            raise InvalidRequestError("The cursor is not valid.", code="invalid_cursor")
        return key

    @staticmethod
    def _write(call: Any, params: dict[str, Any]) -> Any:
        try:
            return call(**params)
        except ClientError as exc:
            code = _code(exc)
            if code == "ConditionalCheckFailedException":
                raise ConditionFailedError("The write's condition did not hold.") from exc
            if code in _CONTENTION_CODES:
                raise ContentionError(code) from exc
            raise


def _reason(reason: Mapping[str, Any]) -> str:
    code = str(reason.get("Code") or "")
    return "" if code == "None" else code


def make_dynamo_client(*, region: str, endpoint_url: str | None) -> Any:
    """A DynamoDB client for AWS or any DynamoDB-compatible endpoint (standard retries)."""
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5,
                    read_timeout=10)
    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url,
                        config=config)


def create_table(client: Any, table_name: str) -> None:
    """Create the table (on demand capacity) with TTL on `ttl`; safe to call again."""
    try:
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in KEYS],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if _code(exc) != "ResourceInUseException":
            raise
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    ttl = client.describe_time_to_live(TableName=table_name).get("TimeToLiveDescription", {})
    if ttl.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
        return
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
