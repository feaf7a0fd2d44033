"""Every GraphQL document the SDK sends is valid against the contract's schema
(CONTRACT.md section 2, copied here verbatim), without a server."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse, validate

from producer_sdk import query as q

CONTRACT_SDL = """
scalar DateTime
scalar JSON
scalar BigInt      # a 64-bit integer, serialized as a JSON number
enum TransformType { NOTEBOOK PIPELINE }
enum RunStatus { STARTED COMPLETED FAILED }
enum LineageDirection { UPSTREAM DOWNSTREAM BOTH }

interface Transform { id: ID!  type: TransformType!  name: String!  version: String!  runs: [Run!]! }
type Notebook implements Transform { id: ID! type: TransformType! name: String! version: String! title: String runs: [Run!]! }
type Pipeline implements Transform { id: ID! type: TransformType! name: String! version: String! reference: String runs: [Run!]! }

type Run {
  id: ID!  name: String  status: RunStatus!  startedAt: DateTime  finishedAt: DateTime
  transform: Transform        # null only while RunStarted has not arrived
  notebook: Notebook  pipeline: Pipeline
  inputs: [DObject!]!  outputs: [DObject!]!
}
type DObject {
  id: ID!  name: String!  suffix: String!  size: BigInt  hash: String  uri: String  createdAt: DateTime!
  source: Run                 # the run that produced it
  targets: [Run!]!            # the runs that loaded it as an input
}

input DObjectFilter { id: ID  name: String  suffix: String  hash: String  source: RunFilter  target: RunFilter }
input RunFilter {
  id: ID  name: String  status: RunStatus  transformType: TransformType
  transformName: String  transformVersion: String
  output: DObjectFilter  input: DObjectFilter
}
input TransformFilter { id: ID  name: String  version: String  run: RunFilter }

type PageInfo { hasNextPage: Boolean!  endCursor: String }
type RunConnection      { nodes: [Run!]!      pageInfo: PageInfo!  totalCount: Int! }
type DObjectConnection  { nodes: [DObject!]!  pageInfo: PageInfo!  totalCount: Int! }
type NotebookConnection { nodes: [Notebook!]! pageInfo: PageInfo!  totalCount: Int! }
type PipelineConnection { nodes: [Pipeline!]! pageInfo: PageInfo!  totalCount: Int! }

enum LineageNodeKind { RUN DOBJECT }
type LineageNode { id: ID!  kind: LineageNodeKind!  depth: Int!  run: Run  dobject: DObject }
type LineageEdge { source: ID!  target: ID! }   # data flow: dobject -> run (input), run -> dobject (output)
type LineageGraph { root: ID!  nodes: [LineageNode!]!  edges: [LineageEdge!]!  truncated: Boolean! }

type ProjectionStatus { appliedSequence: BigInt!  streamSequence: BigInt!  lag: BigInt!  lastEventAt: DateTime }

type Query {
  run(id: ID!): Run
  runs(filter: RunFilter, first: Int = 100, after: String): RunConnection!
  dobject(id: ID!): DObject
  dobjects(filter: DObjectFilter, first: Int = 100, after: String): DObjectConnection!
  notebooks(filter: TransformFilter, first: Int = 100, after: String): NotebookConnection!
  pipelines(filter: TransformFilter, first: Int = 100, after: String): PipelineConnection!
  lineage(dobjectId: ID, runId: ID, direction: LineageDirection = UPSTREAM, depth: Int = 10): LineageGraph!
  projectionStatus: ProjectionStatus!
}

type LineageEvent { eventId: ID!  eventType: String!  runId: ID  occurredAt: DateTime!  sequence: BigInt!  payload: JSON! }
type Subscription { lineageEvents(eventTypes: [String!], transformName: String): LineageEvent! }
"""

SCHEMA = build_schema(CONTRACT_SDL)

DOCUMENTS = [
    *(q.build_select([(kind, {})], first=10).document for kind in q.ROOT),
    *(document for document, _ in q.RELATION_DOCUMENTS.values()),
    q.DOBJECT_BY_HASH,
    q.PIPELINES_BY_NAME,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_document_is_valid_against_the_contract(document: str) -> None:
    assert validate(SCHEMA, parse(document)) == []


def coerced(value: object, type_name: str) -> object:
    """graphql-core's input coercion: Undefined when `value` is not a valid `type_name`."""
    from graphql import coerce_input_value

    return coerce_input_value(value, SCHEMA.get_type(type_name))  # type: ignore[arg-type]


def test_filters_of_chains_are_valid_input_values() -> None:
    from graphql.pyutils import Undefined

    chains = [
        [("run", {}), ("dobject", {"name": "output", "suffix": ".bam"})],
        [("notebook", {}), ("run", {"status": "completed"}), ("dobject", {"name": "iris_new"})],
        [("dobject", {"hash": "h"}), ("pipeline", {"name": "p", "v": "1"})],
        [("pipeline", {"name": "p"}), ("dobject", {"id": "7d2c1f44-8a1b-4a55-9e55-0c3c4ad0a3f1"})],
        [("run", {}), ("notebook", {"name": "nb", "version": "2"})],
    ]
    for chain in chains:
        select = q.build_select(chain, first=2)
        value = coerced(select.variables["filter"], q.ROOT[select.kind][1])
        assert value is not Undefined, chain


def test_an_invalid_filter_would_be_caught() -> None:
    from graphql.pyutils import Undefined

    assert coerced({"bogus": 1}, "RunFilter") is Undefined
    assert coerced({"status": "DONE"}, "RunFilter") is Undefined
    assert coerced({"status": "COMPLETED"}, "RunFilter") is not Undefined
